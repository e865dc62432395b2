// title: How often agencies hear of each other's concerns
// description: >
//   For each pair of agencies that work with the same people (both hold a
//   record of the person): of the concerns the first agency raised about those
//   people (by a referral it made, an incident it recorded or an episode it
//   runs), how many the second agency also knows of (it raised the same
//   concern about the same person itself, or a referral raising it was sent or
//   shared with it). "shared" is that share, from 0 (never hears) to 1
//   (always hears). The pairs that share least are listed first. Read a row
//   as "of the concerns <raised_by> raised about people both agencies work
//   with, <known_to> knew of <shared>".
//   The figures are worked out after each ingestion job and each resolution
//   of identities (the analytics step, graph/analytics.py) and stored on the
//   graph, so they describe the graph as it was at the last of those runs.
// params:
//   min_concerns: {type: int, default: 1, help: only pairs where the first agency raised at least this many concerns about shared people}
// tags: [fragmentation, agencies, weekly]
// returns: table
MATCH (p:Person)
WHERE size(p.frag_involved) >= 2 AND size(p.frag_raised) > 0
UNWIND p.frag_raised AS entry
WITH p, split(entry, '|') AS parts
WITH p, parts[0] AS concern, parts[1] AS raised_by
WHERE raised_by IN p.frag_involved
UNWIND [b IN p.frag_involved WHERE b <> raised_by] AS known_to
WITH raised_by, known_to, count(*) AS concerns, count(DISTINCT p) AS people,
     toInteger(sum(CASE WHEN (concern + '|' + known_to) IN p.frag_known THEN 1 ELSE 0 END)) AS known
WHERE concerns >= $min_concerns
RETURN raised_by, known_to, people, concerns, known, toFloat(known) / concerns AS shared
ORDER BY shared, concerns DESC, raised_by, known_to
