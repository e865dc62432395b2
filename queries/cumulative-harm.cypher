// title: Cumulative low-level harm before an escalation
// description: >
//   Children who had at least `min_referrals` low-level contacts to children's
//   social care (4 by default: rated green, or ending in no further action or
//   advice/signposting) in the `window_months` months (12) before an
//   escalation: a contact rated red, or any referral, incident or episode
//   raising neglect (16A), physical abuse by an adult (18C) or sexual abuse
//   by an adult (19C). One row per child: the first such escalation, how many
//   low-level contacts came before it, and what it was.
// params:
//   since: {type: date, default: 2000-01-01, help: only escalations on or after this date}
//   until: {type: date, default: today, help: only escalations on or before this date}
//   window_months: {type: int, default: 12, max: 240, help: count low-level contacts in this many months before the escalation}
//   min_referrals: {type: int, default: 4, help: fewest low-level contacts before the escalation}
//   limit: {type: int, default: 200, help: most children to list}
// tags: [patterns, children, weekly]
// returns: table
// alert: true
// alert_key: person
// severity: high
// alert_params: {limit: 100000}
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT]-(r:Referral)-[:TO]->(:Agency {kind: 'childrens_social_care'})
WHERE r.rag = 'GREEN' OR r.outcome IN ['nfa', 'advice_signpost']
WITH p, collect(DISTINCT r) AS lows
WHERE size(lows) >= $min_referrals
MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)
WITH DISTINCT p, lows, x, coalesce(x.date, x.start) AS d
WHERE d >= date($since) AND d <= date($until) AND p.dob > d - duration({years: 18}) AND p.dob.year > d.year - 80
WITH p, lows, x, d, [(x)-[:RAISES]->(c:Concern) WHERE c.key IN ['16A', '18C', '19C'] | c.key] AS harm
WHERE x.rag = 'RED' OR size(harm) > 0
WITH p, x, d, harm, [r IN lows WHERE r.date < d AND r.date >= d - duration({months: $window_months})] AS before
WHERE size(before) >= $min_referrals
WITH p, x, d, harm, before ORDER BY p.key, d, x.key
WITH p, collect({key: x.key, d: d, harm: harm, red: x.rag = 'RED', before: size(before),
                 first: reduce(s = d, r IN before | CASE WHEN r.date < s THEN r.date ELSE s END)})[0] AS e
RETURN p.key AS person, p.display_name AS name, p.dob AS dob, e.d AS escalation_date,
       e.key AS escalation, e.red AS rated_red, e.harm AS harm_factors,
       e.before AS low_level_contacts, e.first AS first_low_level
ORDER BY escalation_date DESC, person
LIMIT $limit
