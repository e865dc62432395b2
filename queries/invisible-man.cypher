// title: Invisible man - an unknown male at an injured baby's address
// description: >
//   Babies under one year old with an injury (an A&E attendance for an
//   injury, or any concern of physical abuse by an adult, 18C) where a man
//   aged 18 or over is linked to one of the baby's addresses by police,
//   housing or health records but is not recorded in the baby's household by
//   children's social care. An address link counts when it had not ended
//   more than `window_months` months (12) before the injury and had not
//   started after it. One row per baby and man, with the first injury.
// params:
//   since: {type: date, default: 2000-01-01, help: only injuries on or after this date}
//   until: {type: date, default: today, help: only injuries on or before this date}
//   window_months: {type: int, default: 12, max: 240, help: address links that ended more than this many months before the injury do not count}
//   limit: {type: int, default: 200, help: most rows to list}
// tags: [patterns, children, under-ones]
// returns: table
// alert: true
// alert_key: [person, man]
// severity: high
// alert_params: {limit: 100000}
MATCH (x)-[:RAISES]->(:Concern {key: '18C'})
WITH collect(x) AS abuse
OPTIONAL MATCH (i:Incident)
WHERE i.injury = true
WITH abuse, collect(i) AS injured
WITH abuse + injured AS injuries
UNWIND injuries AS x
WITH DISTINCT x, coalesce(x.date, x.start) AS d
WHERE d >= date($since) AND d <= date($until)
MATCH (x)-[:ABOUT|INVOLVES|FOR]->(:Record)-[:RESOLVES_TO]->(c:Person)
WHERE c.dob <= d AND c.dob > d - duration({years: 1})
WITH DISTINCT x, d, c
MATCH (c)<-[:RESOLVES_TO]-(cr:Record)-[:MEMBER_OF]->(h:Household), (cr)-[:HELD_BY]->(:Agency {kind: 'childrens_social_care'})
WITH DISTINCT x, d, c, h
MATCH (c)<-[:RESOLVES_TO]-(:Record)-[:LIVES_AT]->(addr:Address)<-[l:LIVES_AT]-(mr:Record)-[:RESOLVES_TO]->(m:Person),
      (mr)-[:HELD_BY]->(ag:Agency)
WHERE m.sex = 'M' AND (m.dob <= d - duration({years: 18}) OR m.dob.year <= d.year - 80) AND ag.kind IN ['police', 'housing', 'health']
  AND (l.to IS NULL OR l.to >= d - duration({months: $window_months}))
  AND (l.from IS NULL OR l.from <= d)
  AND NOT (m)<-[:RESOLVES_TO]-(:Record)-[:MEMBER_OF]->(h)
WITH c, m, d, x, addr, ag ORDER BY c.key, m.key, d, x.key, addr.key, ag.key
WITH c, m, collect(DISTINCT x.key) AS injury_events, min(d) AS injury_date,
     collect(DISTINCT addr.key) AS addresses, collect(DISTINCT ag.key) AS known_to
RETURN c.key AS person, c.display_name AS name, c.dob AS dob, injury_date, injury_events,
       m.key AS man, m.display_name AS man_name, addresses, known_to
ORDER BY injury_date DESC, person, man
LIMIT $limit
