// title: People whose information is most fragmented across agencies
// description: >
//   For each person, every concern raised about them (by a referral, an
//   incident or an episode) is paired with every agency that works with them
//   (holds a record of them). A pair is "unknown" when that agency did not
//   raise the concern itself and was never sent or told about it. The
//   fragmentation score is the share of unknown pairs: 0 means every agency
//   working with the person knows every concern; near 1 means each concern
//   stays with the agency that raised it. People are listed with the highest
//   score first, then the most unknown pairs.
// params:
//   min_agencies: {type: int, default: 2, help: only people known to at least this many agencies}
//   min_score: {type: float, default: 0.0, help: only people with at least this fragmentation score (0 to 1)}
//   limit: {type: int, default: 100, help: most people to list}
// tags: [fragmentation, weekly]
// returns: table
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH p, collect(DISTINCT a.key) AS involved
WHERE size(involved) >= $min_agencies
MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
WITH p, involved, c, x
// Two directed expansions cost FalkorDB far less than one undirected one over five types.
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(raiser:Agency)
OPTIONAL MATCH (x)-[:TO|SHARED_WITH]->(told:Agency)
WITH p, involved, c, collect(DISTINCT raiser.key) + collect(DISTINCT told.key) AS knowers
WITH p, involved, c, size([a IN involved WHERE NOT a IN knowers]) AS unknown
WITH p, involved, count(c) AS concerns, toInteger(sum(unknown)) AS unknown_pairs
WITH p, involved, concerns, unknown_pairs, concerns * size(involved) AS pairs
WITH p, involved, concerns, pairs, unknown_pairs, toFloat(unknown_pairs) / pairs AS score
WHERE score >= $min_score
RETURN p.key AS person, p.display_name AS name, size(involved) AS agencies, concerns,
       pairs, unknown_pairs, score AS fragmentation
ORDER BY fragmentation DESC, unknown_pairs DESC, person
LIMIT $limit
