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
// params:
//   min_concerns: {type: int, default: 1, help: only pairs where the first agency raised at least this many concerns about shared people}
// tags: [fragmentation, agencies, weekly]
// returns: table
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH p, collect(DISTINCT a.key) AS involved
WHERE size(involved) >= 2
MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
WITH p, involved, c, x
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(raiser:Agency)
OPTIONAL MATCH (x)-[:TO|SHARED_WITH]->(told:Agency)
WITH p, involved, c, collect(DISTINCT raiser.key) AS raisers, collect(DISTINCT told.key) AS told_keys
WITH p, involved, c, raisers, raisers + told_keys AS knowers
UNWIND [r IN raisers WHERE r IN involved] AS raised_by
UNWIND [b IN involved WHERE b <> raised_by] AS known_to
WITH raised_by, known_to, count(*) AS concerns, count(DISTINCT p) AS people,
     toInteger(sum(CASE WHEN known_to IN knowers THEN 1 ELSE 0 END)) AS known
WHERE concerns >= $min_concerns
RETURN raised_by, known_to, people, concerns, known, toFloat(known) / concerns AS shared
ORDER BY shared, concerns DESC, raised_by, known_to
