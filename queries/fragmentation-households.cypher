// title: Households whose information is most fragmented across agencies
// description: >
//   The fragmentation score of a household as a whole: every concern raised
//   about any member (by a referral, an incident or an episode) is paired with
//   every agency that works with any member. A pair is "unknown" when that
//   agency knows of the concern about no member of the household (it did not
//   raise it, and was never sent or told about it). The score is the share of
//   unknown pairs, from 0 (every agency knows every concern) to 1. A household
//   where different agencies each hold one piece of the picture scores high.
//   Households are listed with the highest score first.
// params:
//   min_members: {type: int, default: 2, help: only households with at least this many resolved members}
//   min_agencies: {type: int, default: 2, help: only households known to at least this many agencies}
//   min_score: {type: float, default: 0.0, help: only households with at least this fragmentation score (0 to 1)}
//   limit: {type: int, default: 100, help: most households to list}
// tags: [fragmentation, household, weekly]
// returns: table
MATCH (h:Household)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(p:Person)
WITH h, collect(DISTINCT p) AS members
WHERE size(members) >= $min_members
UNWIND members AS p
MATCH (p)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH h, members, collect(DISTINCT a.key) AS involved
WHERE size(involved) >= $min_agencies
UNWIND members AS p
MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
WITH h, members, involved, c, x
// Two directed expansions cost FalkorDB far less than one undirected one over five types.
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(raiser:Agency)
OPTIONAL MATCH (x)-[:TO|SHARED_WITH]->(told:Agency)
WITH h, members, involved, c, collect(DISTINCT raiser.key) + collect(DISTINCT told.key) AS knowers
WITH h, members, involved, c, size([a IN involved WHERE NOT a IN knowers]) AS unknown
WITH h, size(members) AS n_members, involved, count(c) AS concerns, toInteger(sum(unknown)) AS unknown_pairs
WITH h, n_members, involved, concerns, unknown_pairs, concerns * size(involved) AS pairs
WITH h, n_members, involved, concerns, pairs, unknown_pairs, toFloat(unknown_pairs) / pairs AS score
WHERE score >= $min_score
RETURN h.key AS household, n_members AS members, size(involved) AS agencies, concerns,
       pairs, unknown_pairs, score AS fragmentation
ORDER BY fragmentation DESC, unknown_pairs DESC, household
LIMIT $limit
