// title: Households whose information is most fragmented across agencies
// description: >
//   The fragmentation score of a household as a whole: every concern raised
//   about any member (by a referral, an incident or an episode) is paired with
//   every agency that works with any member. A pair is "unknown" when that
//   agency knows of the concern about no member of the household (it did not
//   raise it, and was never sent or told about it). The score is the share of
//   unknown pairs, from 0 (every agency knows every concern) to 1. A household
//   where different agencies each hold one piece of the picture scores high.
//   A household is a resolved household: every agency's record of one family
//   together (docs/resolution.md "Households"), so each family counts once.
//   Households are listed with the highest score first.
//   The figures are worked out after each ingestion job and each resolution
//   of identities (the analytics step, graph/analytics.py) and stored on the
//   graph, so they describe the graph as it was at the last of those runs.
// params:
//   min_members: {type: int, default: 2, help: only households with at least this many resolved members}
//   min_agencies: {type: int, default: 2, help: only households known to at least this many agencies}
//   min_score: {type: float, default: 0.0, min: 0.0, max: 1.0, help: only households with at least this fragmentation score (0 to 1)}
//   limit: {type: int, default: 100, help: most households to list}
// tags: [fragmentation, household, weekly]
// returns: table
// alert: true
// alert_key: household
// severity: medium
// alert_params: {limit: 100000, min_agencies: 3, min_score: 0.75}
MATCH (h:Family)
WHERE h.frag_pairs > 0 AND h.frag_members >= $min_members AND size(h.frag_involved) >= $min_agencies
  AND h.fragmentation >= $min_score
RETURN h.key AS household, h.frag_members AS members, size(h.frag_involved) AS agencies,
       size(h.frag_concerns) AS concerns, h.frag_pairs AS pairs, h.frag_unknown_pairs AS unknown_pairs,
       h.fragmentation AS fragmentation
ORDER BY fragmentation DESC, unknown_pairs DESC, household
LIMIT $limit
