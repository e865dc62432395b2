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
//   resolution (graph/partnership.py).
// params:
//   since: {type: date, default: 2000-01-01, help: first day of the period (concerns first raised on or after its month)}
//   until: {type: date, default: today, help: last day of the period}
//   la: {type: string, default: "", help: a local authority such as la1 (empty for all)}
//   agency: {type: string, default: "", help: an agency key such as police (empty for every concern and agency)}
// tags: [partnership, fragmentation, sharing]
// returns: table
MATCH (p:Person)
WHERE size(p.share_raised_first) > 0 AND size(p.frag_involved) > 0 AND ($la = '' OR $la IN p.share_las)
UNWIND p.share_raised_first AS entry
WITH p, split(entry, '|') AS parts
WITH p, parts[0] AS concern, parts[1] AS raiser, toInteger(parts[2]) AS month
WITH p, concern, min(month) AS first_any, min(CASE WHEN raiser = $agency THEN month END) AS first_by
WITH p, concern, CASE WHEN $agency = '' THEN first_any ELSE first_by END AS month
WHERE month IS NOT NULL
  AND month >= date($since).year * 100 + date($since).month AND month <= date($until).year * 100 + date($until).month
UNWIND [a IN p.frag_involved WHERE a <> $agency] AS involved
WITH month, count(*) AS pairs, count(DISTINCT p) AS people,
     toInteger(sum(CASE WHEN (concern + '|' + involved) IN p.frag_known THEN 1 ELSE 0 END)) AS known
RETURN toString(month / 100) + '-' + CASE WHEN month % 100 < 10 THEN '0' ELSE '' END + toString(month % 100) AS month,
       people, pairs, known, toFloat(known) / pairs AS shared
ORDER BY month
