// title: Sibling blind spot - child on a plan, sibling unknown to social care
// description: >
//   Children on a child protection plan (at any time between `since` and
//   `until`) with another child in the same recorded household, or recorded
//   at the same address while the plan ran, who has no children's social
//   care record at all. The other child was under 18 when the plan started
//   (or born while it ran). One row per child on a plan and other child.
// params:
//   since: {type: date, default: 2000-01-01, help: only plans running on or after this date}
//   until: {type: date, default: today, help: only plans that started on or before this date}
//   limit: {type: int, default: 200, help: most rows to list}
// tags: [patterns, children, households]
// returns: table
// alert: true
// alert_key: [person, sibling]
// severity: high
// alert_params: {limit: 100000}
MATCH (:Agency {kind: 'childrens_social_care'})-[:RUNS]->(e:Episode {kind: 'cp_plan'})-[:FOR]->(:Record)-[:RESOLVES_TO]->(c:Person)
WHERE e.start <= date($until) AND (e.end IS NULL OR e.end >= date($since))
WITH DISTINCT c, e
OPTIONAL MATCH (c)<-[:RESOLVES_TO]-(:Record)-[:MEMBER_OF]->(:Household)-[:IN_FAMILY]->(:Family)<-[:IN_FAMILY]-(:Household)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(s1:Person)
WITH c, e, collect(DISTINCT s1) AS via_household
OPTIONAL MATCH (c)<-[:RESOLVES_TO]-(:Record)-[:LIVES_AT]->(:Address)<-[l:LIVES_AT]-(:Record)-[:RESOLVES_TO]->(s2:Person)
WHERE (l.to IS NULL OR l.to >= e.start) AND (l.from IS NULL OR l.from <= coalesce(e.end, date($until)))
WITH c, e, via_household, collect(DISTINCT s2) AS via_address
WITH c, e, via_household + via_address AS others
UNWIND others AS s
WITH DISTINCT c, e, s
WHERE s <> c AND s.dob > e.start - duration({years: 18}) AND s.dob.year > e.start.year - 80 AND s.dob <= coalesce(e.end, date($until))
  AND NOT (s)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(:Agency {kind: 'childrens_social_care'})
WITH c, s, e ORDER BY c.key, s.key, e.start DESC, e.key
WITH c, s, collect({key: e.key, start: e.start, end: e.end, category: e.category})[0] AS plan
WITH c, s, plan,
     [(s)<-[:RESOLVES_TO]-(r:Record)-[:HELD_BY]->(ag:Agency) | ag.key] AS sibling_known_to
RETURN c.key AS person, c.display_name AS name, plan.key AS plan, plan.start AS plan_start,
       plan.end AS plan_end, plan.category AS category, s.key AS sibling,
       s.display_name AS sibling_name, s.dob AS sibling_dob, sibling_known_to
ORDER BY plan_start DESC, person, sibling
LIMIT $limit
