// title: Siloed concerns - raised by one agency, unknown to another working with the person
// description: >
//   Concerns raised about a person (by a referral, an incident or an
//   episode) that an agency working with the same person (one holding a
//   record of them) does not know about: it did not raise any concern of
//   that kind about the person itself, was not sent it and was never told
//   of it. "No factors identified" (21) is not a concern. One row per
//   person, concern and unaware agency, most recent first.
//   The agencies working with each person, and which people have nothing
//   siloed at all, are read from facts worked out after each ingestion job
//   and each resolution of identities (graph/analytics.py).
// params:
//   since: {type: date, default: 2000-01-01, help: only concerns first raised on or after this date}
//   until: {type: date, default: today, help: only concerns raised on or before this date}
//   limit: {type: int, default: 500, help: most rows to list}
// tags: [patterns, fragmentation, sharing]
// returns: table
MATCH (c:Concern)<-[:RAISES]-(x)-[:ABOUT|INVOLVES|FOR]->(:Record)-[:RESOLVES_TO]->(p:Person)
WHERE c.key <> '21'
  AND (p.frag_unknown_pairs > 0 OR p.frag_undated OR p.frag_last_raised > date($until))
WITH DISTINCT p, c, x, coalesce(x.date, x.start) AS d
WHERE d <= date($until)
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(ra:Agency)
WITH p, c, x, d, ra
OPTIONAL MATCH (x)-[t:TO|SHARED_WITH]->(ta:Agency)
WITH p, c, x, d, collect(ra.key) AS raisers, collect(ta.key) AS told,
     collect(CASE WHEN type(t) = 'TO' THEN ta.key END) AS sent_to
WITH p, c, d, raisers + told AS knowers, coalesce(head(raisers), head(sent_to)) AS raiser
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
