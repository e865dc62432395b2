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
//   The figures are worked out after each ingestion job and each resolution
//   of identities (the analytics step, graph/analytics.py) and stored on the
//   graph, so they describe the graph as it was at the last of those runs.
// params:
//   min_agencies: {type: int, default: 2, help: only people known to at least this many agencies}
//   min_score: {type: float, default: 0.0, min: 0.0, max: 1.0, help: only people with at least this fragmentation score (0 to 1)}
//   limit: {type: int, default: 100, help: most people to list}
// tags: [fragmentation, weekly]
// returns: table
// alert: true
// alert_key: person
// severity: medium
// alert_params: {limit: 100000, min_agencies: 3, min_score: 0.75}
MATCH (p:Person)
WHERE p.frag_pairs > 0 AND size(p.frag_involved) >= $min_agencies AND p.fragmentation >= $min_score
RETURN p.key AS person, p.display_name AS name, size(p.frag_involved) AS agencies,
       size(p.frag_concerns) AS concerns, p.frag_pairs AS pairs, p.frag_unknown_pairs AS unknown_pairs,
       p.fragmentation AS fragmentation
ORDER BY fragmentation DESC, unknown_pairs DESC, person
LIMIT $limit
