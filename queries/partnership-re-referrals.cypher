// title: Re-referrals within 12 months, by first outcome (partnership dashboard)
// description: >
//   Of the children with a referral to children's social care in the period,
//   the share referred to it again within 12 months of their first one in the
//   period, by what that first referral became (no further action, early help,
//   assessment...). A later referral on the same day does not count; one after
//   the period does, so the last months of the data look better than they are
//   until a year has passed. `agency` keeps the children whose first referral
//   that agency made; `la`, those referred to that authority.
// params:
//   since: {type: date, default: 2000-01-01, help: first referrals made on or after this date}
//   until: {type: date, default: today, help: first referrals made on or before this date}
//   la: {type: string, default: "", help: a local authority such as la1 (empty for all)}
//   agency: {type: string, default: "", help: the agency that made the first referral (such as police; empty for all)}
// tags: [partnership, referrals]
// returns: table
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT]-(r:Referral)-[:TO]->(csc:Agency {kind: 'childrens_social_care'})
WITH DISTINCT p, r, csc.la AS la
ORDER BY r.date, r.key
WITH p, collect([r.date, r.key, la]) AS refs
WITH p, refs, [x IN refs WHERE x[0] >= date($since) AND x[0] <= date($until) AND ($la = '' OR x[2] = $la)] AS chosen
WHERE size(chosen) > 0
WITH p, refs, chosen[0] AS first
WITH p, first, size([x IN refs WHERE x[0] > first[0] AND x[0] <= first[0] + duration({months: 12})]) AS later
MATCH (f:Referral {key: first[1]})
OPTIONAL MATCH (maker:Agency)-[:MADE]->(f)
WITH p, f, later, coalesce(min(maker.key), '(no agency)') AS agency
WHERE $agency = '' OR agency = $agency
WITH coalesce(f.outcome, '(none)') AS first_outcome, count(p) AS children,
     toInteger(sum(CASE WHEN later > 0 THEN 1 ELSE 0 END)) AS re_referred
RETURN first_outcome, children, re_referred, toFloat(re_referred) / children AS re_referred_share
ORDER BY first_outcome
