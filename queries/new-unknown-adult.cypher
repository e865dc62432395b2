// title: New adult, unknown to social care, moved in before an escalation
// description: >
//   Children whose case escalated (a contact rated red or leading to a
//   strategy discussion / section 47 enquiry or immediate protection, or a
//   child protection plan starting) where, in the `window_days` days (90)
//   before the escalation, an adult moved to one of the child's addresses
//   (the first dated record of them living there falls in that period), the
//   adult has a police record of violence or domestic abuse (as perpetrator
//   or suspect, before the escalation) and no children's social care record
//   at all. One row per child and adult, with the first escalation.
// params:
//   since: {type: date, default: 2000-01-01, help: only escalations on or after this date}
//   until: {type: date, default: today, help: only escalations on or before this date}
//   window_days: {type: int, default: 90, max: 7300, help: the adult moved in at most this many days before the escalation (FalkorDB counts 30 days or more as whole months)}
//   limit: {type: int, default: 200, help: most rows to list}
// tags: [patterns, children, escalation]
// returns: table
// alert: true
// alert_key: [person, adult]
// severity: high
// alert_params: {limit: 100000}
MATCH (r:Referral)-[:TO]->(:Agency {kind: 'childrens_social_care'})
WHERE (r.rag = 'RED' OR r.outcome IN ['s47_strategy', 'immediate_protection'])
  AND r.date >= date($since) AND r.date <= date($until)
WITH collect(r) AS referrals
OPTIONAL MATCH (e:Episode {kind: 'cp_plan'})
WHERE e.start >= date($since) AND e.start <= date($until)
WITH referrals, collect(e) AS plans
WITH referrals + plans AS escalations
UNWIND escalations AS x
MATCH (x)-[:ABOUT|FOR]->(:Record)-[:RESOLVES_TO]->(c:Person)
WITH DISTINCT x, coalesce(x.date, x.start) AS d, c
WHERE c.dob > d - duration({years: 18}) AND c.dob.year > d.year - 80
MATCH (c)<-[:RESOLVES_TO]-(:Record)-[:LIVES_AT]->(addr:Address)<-[l:LIVES_AT]-(:Record)-[:RESOLVES_TO]->(m:Person)
WHERE m <> c AND l.from IS NOT NULL AND (m.dob <= d - duration({years: 18}) OR m.dob.year <= d.year - 80)
WITH x, d, c, addr, m, min(l.from) AS moved_in
WHERE moved_in <= d AND moved_in >= d - duration({days: $window_days})
WITH x, d, c, addr, m, moved_in
WHERE NOT (m)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(:Agency {kind: 'childrens_social_care'})
MATCH (m)<-[:RESOLVES_TO]-(:Record)<-[v:INVOLVES]-(i:Incident)<-[:RECORDED]-(:Agency {kind: 'police'})
WHERE i.type IN ['violence', 'domestic_abuse'] AND v.role IN ['perpetrator', 'suspect'] AND i.date <= d
WITH x, d, c, addr, m, moved_in, i ORDER BY c.key, m.key, d, x.key, i.date, i.key
WITH c, m, collect({d: d, x: x.key, addr: addr.key, moved_in: moved_in}) AS escalations, collect(DISTINCT i.key) AS violence
WITH c, m, escalations[0] AS first, violence
RETURN c.key AS person, c.display_name AS name, c.dob AS dob, first.d AS escalation_date,
       first.x AS escalation, m.key AS adult, m.display_name AS adult_name,
       first.addr AS address, first.moved_in AS moved_in, violence AS police_incidents
ORDER BY escalation_date DESC, person, adult
LIMIT $limit
