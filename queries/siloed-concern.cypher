// title: Siloed concerns - raised by one agency, unknown to another working with the person
// description: >
//   Concerns raised about a person (by a referral, an incident or an
//   episode) that an agency working with the same person (one holding a
//   record of them) does not know about: it did not raise any concern of
//   that kind about the person itself, was not sent it and was never told
//   of it. "No factors identified" (21) is not a concern. One row per
//   person, concern and unaware agency, most recent first.
//   The agencies working with each person, which people have nothing
//   siloed at all, who knows of each event and, when `until` is after all of
//   a person's concerns, the date of their latest siloed concern (so that
//   only the people who can hold the `limit` most recent rows are read) come
//   from facts worked out after each ingestion job and each resolution of
//   identities (graph/analytics.py). The rows are the same as without them.
// params:
//   since: {type: date, default: 2000-01-01, help: only concerns first raised on or after this date}
//   until: {type: date, default: today, help: only concerns raised on or before this date}
//   limit: {type: int, default: 500, help: most rows to list}
// tags: [patterns, fragmentation, sharing]
// returns: table
// alert: true
// alert_key: person
// severity: low
// alert_params: {limit: 100000}
MATCH (q:Person)
WHERE q.frag_last_siloed IS NOT NULL AND NOT q.frag_undated AND q.frag_last_raised <= date($until)
WITH q.frag_last_siloed AS latest ORDER BY latest DESC LIMIT $limit
WITH min(latest) AS cutoff
MATCH (p:Person)
WHERE p.frag_last_siloed >= cutoff OR p.frag_undated OR p.frag_last_raised > date($until)
WITH p
MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
WHERE c.key <> '21'
WITH DISTINCT p, c, x, coalesce(x.date, x.start) AS d
WHERE d <= date($until)
WITH p, c, d, x.frag_known_by AS knowers, x.frag_raised_by AS raiser
ORDER BY raiser
WITH p, c, collect(knowers) AS knower_lists, collect(DISTINCT raiser) AS raised_by,
     min(d) AS first_raised, max(d) AS last_raised
WHERE last_raised >= date($since)
UNWIND p.frag_involved AS agency
WITH p, c, first_raised, last_raised, raised_by, knower_lists, agency
WHERE none(ks IN knower_lists WHERE agency IN ks)
WITH p, c, first_raised, last_raised, raised_by, agency
ORDER BY last_raised DESC, p.key, c.key, agency
LIMIT $limit
MATCH (b:Agency {key: agency})
RETURN p.key AS person, p.display_name AS name, c.key AS concern, c.label AS concern_label,
       raised_by, b.key AS agency, b.name AS agency_name, first_raised, last_raised
ORDER BY last_raised DESC, person, concern, agency
