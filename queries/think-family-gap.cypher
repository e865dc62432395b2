// title: Think family gap - adult at risk, child never referred
// description: >
//   Adults with an adult safeguarding concern (any Care Act risk type) who
//   live with a child - in the same recorded household, or recorded at the
//   same address while the concern was raised - where no referral about that
//   child was made in the `window_months` months (12) before or after the
//   concern. The child may be living with a parent or carer whose own
//   difficulties nobody has connected to them. One row per adult and child,
//   with the latest such concern. Concerns raised when none of the adult's
//   housemates (stored with the facts after each ingestion job and
//   resolution, graph/analytics.py) was young enough to be a child are
//   skipped without reading their homes.
// params:
//   since: {type: date, default: 2000-01-01, help: only adult concerns raised on or after this date}
//   until: {type: date, default: today, help: only adult concerns raised on or before this date}
//   window_months: {type: int, default: 12, max: 240, help: a referral about the child this many months either side of the concern closes the gap}
//   limit: {type: int, default: 200, help: most rows to list}
// tags: [patterns, think-family, adults]
// returns: table
// alert: true
// alert_key: [person, child]
// severity: medium
// alert_params: {limit: 100000}
MATCH (ac:Concern {subject: 'adult'})<-[:RAISES]-(x)-[:ABOUT|INVOLVES|FOR]->(:Record)-[:RESOLVES_TO]->(v:Person)
WITH DISTINCT v, x, ac, coalesce(x.date, x.start) AS d
WHERE v.frag_youngest_housemate_year >= d.year - 18 AND d >= date($since) AND d <= date($until)
  AND (v.dob <= d - duration({years: 18}) OR v.dob.year <= d.year - 80)
WITH v, x, d, collect(ac.key) AS risks
WITH v, collect({x: x.key, d: d, risks: risks}) AS concerns
OPTIONAL MATCH (v)<-[:RESOLVES_TO]-(:Record)-[:MEMBER_OF]->(:Household)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(c1:Person)
WITH v, concerns, collect(DISTINCT c1) AS via_household
OPTIONAL MATCH (v)<-[:RESOLVES_TO]-(:Record)-[l1:LIVES_AT]->(a:Address)
WITH v, concerns, via_household, a, collect([l1.from, l1.to]) AS stays
OPTIONAL MATCH (a)<-[l2:LIVES_AT]-(:Record)-[:RESOLVES_TO]->(c2:Person)
WITH v, concerns, via_household, collect({c: c2, stays: stays, f2: l2.from, t2: l2.to}) AS via_address
UNWIND concerns AS k
WITH v, k, via_household + [m IN via_address
       WHERE (m.f2 IS NULL OR m.f2 <= k.d) AND (m.t2 IS NULL OR m.t2 >= k.d)
         AND any(l IN m.stays WHERE (l[0] IS NULL OR l[0] <= k.d) AND (l[1] IS NULL OR l[1] >= k.d)) | m.c] AS others
UNWIND others AS c
WITH DISTINCT v, k, c
WHERE c <> v AND c.dob <= k.d AND c.dob > k.d - duration({years: 18}) AND c.dob.year > k.d.year - 80
WITH v, k, c,
     [(c)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT]-(r:Referral)-[:TO]->(:Agency)
      WHERE r.date >= k.d - duration({months: $window_months}) AND r.date <= k.d + duration({months: $window_months}) | r.key] AS referrals
WHERE size(referrals) = 0
WITH v, c, k ORDER BY v.key, c.key, k.d DESC, k.x
WITH v, c, collect(k)[0] AS latest
RETURN v.key AS person, v.display_name AS name, latest.d AS concern_date, latest.x AS concern,
       latest.risks AS risk_types, c.key AS child, c.display_name AS child_name, c.dob AS child_dob
ORDER BY concern_date DESC, person, child
LIMIT $limit
