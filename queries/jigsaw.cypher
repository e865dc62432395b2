// title: Jigsaw children - many agencies, each holding one piece
// description: >
//   Children with at least `min_contacts` contacts to children's social care
//   (4 by default) within `window_months` months (6), made by at least
//   `min_agencies` different agencies (3), where every one of those contacts
//   ended in no further action or advice/signposting, and no agency other
//   than the social care front door that received them knows more than one
//   of them (made it, or was told of it afterwards). Contacts from members of
//   the public count as contacts but not as agencies. A window starts on the
//   date of one of the contacts. One row per child: the latest such window.
// params:
//   since: {type: date, default: 2000-01-01, help: only contacts made on or after this date}
//   until: {type: date, default: today, help: only contacts made on or before this date}
//   window_months: {type: int, default: 6, max: 240, help: the contacts must fall within this many months}
//   min_contacts: {type: int, default: 4, help: fewest contacts in the window}
//   min_agencies: {type: int, default: 3, help: fewest different agencies making them}
//   limit: {type: int, default: 200, help: most children to list}
// tags: [patterns, children, weekly]
// returns: table
// alert: true
// alert_key: person
// severity: medium
// alert_params: {limit: 100000}
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT]-(r:Referral)-[:TO]->(front:Agency {kind: 'childrens_social_care'})
WHERE r.date >= date($since) AND r.date <= date($until) AND p.dob > r.date - duration({years: 18}) AND p.dob.year > r.date.year - 80
WITH DISTINCT p, r, front
OPTIONAL MATCH (r)<-[:MADE]-(ma:Agency)
WITH p, r, front, collect(ma.key) AS makers
OPTIONAL MATCH (r)-[:SHARED_WITH]->(sa:Agency)
WITH p, r, front.key AS front, makers, collect(sa.key) AS told
ORDER BY p.key, r.date, r.key
WITH p, collect({key: r.key, d: r.date, maker: head(makers), told: told, front: front,
                 nfa: r.outcome IN ['nfa', 'advice_signpost']}) AS contacts
WHERE size(contacts) >= $min_contacts
UNWIND contacts AS anchor
WITH p, anchor.d AS start,
     [c IN contacts WHERE c.d >= anchor.d AND c.d <= anchor.d + duration({months: $window_months})] AS win
WHERE size(win) >= $min_contacts AND all(c IN win WHERE c.nfa)
WITH p, start, win,
     reduce(s = [], c IN win | CASE WHEN c.maker IS NULL OR c.maker IN s THEN s ELSE s + c.maker END) AS agencies,
     [c IN win | [k IN [c.maker] + c.told WHERE k IS NOT NULL AND k <> c.front]] AS knowsets
WHERE size(agencies) >= $min_agencies
WITH p, start, win, agencies, knowsets, reduce(s = [], ks IN knowsets | s + ks) AS knowers
WHERE all(k IN knowers WHERE size([ks IN knowsets WHERE k IN ks]) <= 1)
WITH p, start, win, agencies ORDER BY p.key, start DESC
WITH p, collect({start: start, win: win, agencies: agencies})[0] AS latest
RETURN p.key AS person, p.display_name AS name, p.dob AS dob,
       size(latest.win) AS contacts, latest.agencies AS agencies,
       latest.start AS first_contact, last([c IN latest.win | c.d]) AS last_contact,
       [c IN latest.win | c.key] AS contact_keys
ORDER BY last_contact DESC, person
LIMIT $limit
