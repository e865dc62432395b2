// title: Children whose alert was dismissed and who later had a red contact
// description: >
//   Children named by an alert that an analyst dismissed (a decision record
//   closing it as dismissed, made on or after `since`) who afterwards had a
//   contact to children's social care rated red: dated after the night the
//   decision stands for, while they were under 18. These are the dismissals
//   to look at again. One row per decision and red contact, newest contact
//   first. Alerts and decisions are stored on the graph by `mashgraph alerts`
//   and the web inbox (docs/alerts.md); a person is named by an alert when
//   the alert's rows name them.
// params:
//   since: {type: date, default: 2000-01-01, help: only dismissals on or after this date}
//   limit: {type: int, default: 500, help: most rows to list}
// tags: [alerts, children, quality]
// returns: table
MATCH (d:AlertDecision {status: 'dismissed'})
WHERE date(d.night) >= date($since)
MATCH (a:Alert {key: d.alert})
UNWIND a.people AS person_key
MATCH (p:Person {key: person_key})<-[:RESOLVES_TO]-(:Record)<-[:ABOUT]-(r:Referral)-[:TO]->(csc:Agency)
WHERE csc.kind = 'childrens_social_care' AND r.rag = 'RED' AND r.date > date(d.night)
  AND p.dob > r.date - duration({years: 18}) AND p.dob.year > r.date.year - 80
RETURN DISTINCT p.key AS person, p.display_name AS name, p.dob AS dob, a.key AS alert, a.pattern AS pattern,
       d.night AS dismissed_on, d.user AS dismissed_by, d.reason AS reason, r.key AS red_contact,
       r.date AS contact_date
ORDER BY contact_date DESC, person, alert, red_contact
LIMIT $limit
