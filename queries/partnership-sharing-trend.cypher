// title: Sharing over time (partnership dashboard)
// description: >
//   Month by month, the share of (concern, involved agency) pairs that the
//   involved agency knows: DESIGN's fragmentation (one minus it) turned into a
//   trend. A pair is a concern raised about a person and an agency holding a
//   record of that person; it belongs to the month the concern was first
//   raised about the person (its first dated event), and it counts as known
//   when the agency knows the concern now (it raised it, or an event raising
//   it was sent or shared with it; graph/knowledge.py). With `agency` given,
//   only the concerns that agency raised, dated by the month it first raised
//   them, and the other involved agencies: how well its concerns reach the
//   rest. `la` keeps the people with an agency of that local authority
//   involved. Figures are read from the facts stored at the last ingestion or
//   resolution (graph/partnership.py: each person's pairs summed by month).
// params:
//   since: {type: date, default: 2000-01-01, help: first day of the period (concerns first raised on or after its month)}
//   until: {type: date, default: today, help: last day of the period}
//   la: {type: string, default: "", help: a local authority such as la1 (empty for all)}
//   agency: {type: string, default: "", help: an agency key such as police (empty for every concern and agency)}
// tags: [partnership, fragmentation, sharing]
// returns: table
MATCH (p:Person)
WHERE size(p.share_trend) > 0 AND ($la = '' OR $la IN p.share_las)
UNWIND p.share_trend AS entry
WITH p, split(entry, '|') AS parts
WHERE parts[0] = $agency
WITH p, toInteger(parts[1]) AS month, toInteger(parts[2]) AS pairs, toInteger(parts[3]) AS known
WHERE month >= date($since).year * 100 + date($since).month AND month <= date($until).year * 100 + date($until).month
WITH month, count(DISTINCT p) AS people, toInteger(sum(pairs)) AS pairs, toInteger(sum(known)) AS known
RETURN toString(month / 100) + '-' + CASE WHEN month % 100 < 10 THEN '0' ELSE '' END + toString(month % 100) AS month,
       people, pairs, known, toFloat(known) / pairs AS shared
ORDER BY month
