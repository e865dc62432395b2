// title: Threshold alignment (partnership dashboard)
// description: >
//   For each referring agency, what its referrals to children's social care
//   in the period became: no further action, advice and signposting, early
//   help, a section 17 assessment, a strategy discussion (section 47) or
//   immediate protection, and the RAG rating given at screening; the last
//   row, "(hub)", is every referral together, the hub's average. "below"
//   is the share that ended in no further action or advice, and "below_vs_hub"
//   how far that share is above (+) or below (-) the hub's: an agency far
//   above refers at a lower threshold than the others. A referral nobody
//   made for an agency (an individual, anonymous) counts as "(no agency)".
//   `la` keeps the referrals to that authority's children's social care;
//   `agency` keeps that agency's row and the hub's.
// params:
//   since: {type: date, default: 2000-01-01, help: referrals made on or after this date}
//   until: {type: date, default: today, help: referrals made on or before this date}
//   la: {type: string, default: "", help: a local authority such as la1 (empty for all)}
//   agency: {type: string, default: "", help: a referring agency key such as health (empty for all)}
// tags: [partnership, referrals, thresholds]
// returns: table
MATCH (r:Referral)-[:TO]->(csc:Agency {kind: 'childrens_social_care'})
WHERE r.date >= date($since) AND r.date <= date($until) AND ($la = '' OR csc.la = $la)
WITH DISTINCT r
OPTIONAL MATCH (maker:Agency)-[:MADE]->(r)
WITH r, coalesce(min(maker.key), '(no agency)') AS agency
WITH agency, count(r) AS referrals,
     toInteger(sum(CASE WHEN r.outcome = 'nfa' THEN 1 ELSE 0 END)) AS nfa,
     toInteger(sum(CASE WHEN r.outcome = 'advice_signpost' THEN 1 ELSE 0 END)) AS advice,
     toInteger(sum(CASE WHEN r.outcome = 'early_help' THEN 1 ELSE 0 END)) AS early_help,
     toInteger(sum(CASE WHEN r.outcome = 's17_assessment' THEN 1 ELSE 0 END)) AS assessment,
     toInteger(sum(CASE WHEN r.outcome = 's47_strategy' THEN 1 ELSE 0 END)) AS strategy,
     toInteger(sum(CASE WHEN r.outcome = 'immediate_protection' THEN 1 ELSE 0 END)) AS protection,
     toInteger(sum(CASE WHEN r.rag = 'RED' THEN 1 ELSE 0 END)) AS red,
     toInteger(sum(CASE WHEN r.rag = 'AMBER' THEN 1 ELSE 0 END)) AS amber,
     toInteger(sum(CASE WHEN r.rag = 'GREEN' THEN 1 ELSE 0 END)) AS green
ORDER BY agency
WITH collect([agency, referrals, nfa, advice, early_help, assessment, strategy, protection, red, amber, green]) AS rows
WITH rows, reduce(t = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], x IN rows | [i IN range(0, 9) | t[i] + x[i + 1]]) AS hub
WITH rows + [['(hub)'] + hub] AS rows,
     CASE WHEN hub[0] = 0 THEN null ELSE toFloat(hub[1] + hub[2]) / hub[0] END AS hub_below
UNWIND rows AS x
WITH x, hub_below WHERE x[1] > 0 AND ($agency = '' OR x[0] = $agency OR x[0] = '(hub)')
WITH x, hub_below, toFloat(x[2] + x[3]) / x[1] AS below
RETURN x[0] AS agency, x[1] AS referrals, x[2] AS nfa, x[3] AS advice_signpost, x[4] AS early_help,
       x[5] AS s17_assessment, x[6] AS s47_strategy, x[7] AS immediate_protection,
       x[8] AS red, x[9] AS amber, x[10] AS green, below, below - hub_below AS below_vs_hub
