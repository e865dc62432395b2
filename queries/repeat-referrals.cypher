// title: Repeat referrals within 12 months
// description: >
//   People referred again within `window_months` months (12 by default, the
//   national re-referral measure) of an earlier referral about them. A referral
//   counts as a repeat when it is dated between `since` and `until` and another
//   referral about the same person was made on an earlier day within the
//   window (two referrals on the same day do not repeat each other). Every
//   referral sent to an agency counts (MASH contacts, referrals to children's
//   and adults' social care); information only shared for awareness (such as
//   police telling a school about an incident) does not. Most repeats first.
// params:
//   since: {type: date, default: 2000-01-01, help: count repeat referrals made on or after this date (the default takes in every referral since 2000)}
//   until: {type: date, default: today, help: count repeat referrals made on or before this date}
//   window_months: {type: int, default: 12, max: 240, help: a referral is a repeat when an earlier one came within this many months}
//   min_repeats: {type: int, default: 1, help: only people with at least this many repeat referrals}
//   limit: {type: int, default: 200, help: most people to list}
// tags: [referrals, weekly]
// returns: table
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT]-(r:Referral)-[:TO]->(:Agency)
WHERE r.date >= date($since) AND r.date <= date($until)
WITH DISTINCT p, r
MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT]-(earlier:Referral)-[:TO]->(:Agency)
WHERE earlier.date < r.date AND earlier.date >= r.date - duration({months: $window_months})
WITH DISTINCT p, r
WITH p, count(r) AS repeats, min(r.date) AS first_repeat, max(r.date) AS last_repeat
WHERE repeats >= $min_repeats
RETURN p.key AS person, p.display_name AS name, repeats, first_repeat, last_repeat
ORDER BY repeats DESC, last_repeat DESC, person
LIMIT $limit
