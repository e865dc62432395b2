// title: Sharing between agencies in a period (partnership dashboard)
// description: >
//   For each pair of agencies that work with the same people (both hold a
//   record of the person): of the concerns the first agency first raised
//   about those people within the period, how many the second agency knows
//   of (graph/knowledge.py's "knows"). "shared" is that share, from 0 (never
//   hears) to 1 (always hears). The same figures as agency-sharing-matrix,
//   limited to concerns first raised in the period (undated events left out).
//   `agency` keeps the pairs where it is either agency; `la` keeps the people
//   with an agency of that local authority involved.
// params:
//   since: {type: date, default: 2000-01-01, help: first day of the period}
//   until: {type: date, default: today, help: last day of the period}
//   la: {type: string, default: "", help: a local authority such as la1 (empty for all)}
//   agency: {type: string, default: "", help: an agency key such as police (empty for all pairs)}
// tags: [partnership, fragmentation, agencies, sharing]
// returns: table
MATCH (p:Person)
WHERE size(p.frag_involved) >= 2 AND size(p.share_raised_first) > 0 AND ($la = '' OR $la IN p.share_las)
UNWIND p.share_raised_first AS entry
WITH p, split(entry, '|') AS parts
WITH p, parts[0] AS concern, parts[1] AS raised_by, toInteger(parts[2]) AS month
WHERE raised_by IN p.frag_involved
  AND month >= date($since).year * 100 + date($since).month AND month <= date($until).year * 100 + date($until).month
UNWIND [b IN p.frag_involved WHERE b <> raised_by] AS known_to
WITH p, concern, raised_by, known_to
WHERE $agency = '' OR raised_by = $agency OR known_to = $agency
WITH raised_by, known_to, count(*) AS concerns, count(DISTINCT p) AS people,
     toInteger(sum(CASE WHEN (concern + '|' + known_to) IN p.frag_known THEN 1 ELSE 0 END)) AS known
RETURN raised_by, known_to, people, concerns, known, toFloat(known) / concerns AS shared
ORDER BY raised_by, known_to
