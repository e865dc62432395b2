// title: Timeliness of MASH decisions (partnership dashboard)
// description: >
//   For each referring agency, RAG rating and month, how many referrals and
//   contacts made in the period were decided, and how many within the MASH
//   standard of 24 hours. Extracts give the decision as a date, so a decision
//   counts as within 24 hours when it came within one working day (Monday to
//   Friday, counted from the day after the referral; bank holidays are not
//   known and count as working days), as in late-decisions, which lists the
//   late ones. Referrals with no decision date yet are left out. A referral
//   nobody made for an agency counts as "(no agency)". `la` keeps the
//   referrals to that authority's agencies; `agency`, that agency's.
// params:
//   since: {type: date, default: 2000-01-01, help: referrals made on or after this date}
//   until: {type: date, default: today, help: referrals made on or before this date}
//   la: {type: string, default: "", help: a local authority such as la1 (empty for all)}
//   agency: {type: string, default: "", help: a referring agency key such as police (empty for all)}
// tags: [partnership, referrals, timeliness]
// returns: table
MATCH (r:Referral)-[:TO]->(to:Agency)
WHERE r.decision_date IS NOT NULL AND r.date >= date($since) AND r.date <= date($until)
  AND r.decision_date >= r.date AND ($la = '' OR to.la = $la)
WITH DISTINCT r
OPTIONAL MATCH (maker:Agency)-[:MADE]->(r)
WITH r, coalesce(min(maker.key), '(no agency)') AS agency
WHERE $agency = '' OR agency = $agency
// Day numbers by the civil-calendar formula (days since 1 March of year 0), as late-decisions.
WITH r, agency, [d IN [r.date, r.decision_date] |
         [d.year - CASE WHEN d.month <= 2 THEN 1 ELSE 0 END, (d.month + 9) % 12, d.day]] AS ymd
WITH r, agency, [x IN ymd | 365 * x[0] + x[0] / 4 - x[0] / 100 + x[0] / 400 + (153 * x[1] + 2) / 5 + x[2]] AS day_numbers
WITH r, agency, day_numbers[1] - day_numbers[0] AS calendar_days, r.date.dayOfWeek AS weekday
WITH r, agency,
     (calendar_days / 7) * 5 + size([i IN range(1, calendar_days % 7) WHERE (weekday - 1 + i) % 7 < 5]) AS working_days
WITH agency, coalesce(r.rag, '(none)') AS rag,
     toString(r.date.year) + '-' + CASE WHEN r.date.month < 10 THEN '0' ELSE '' END + toString(r.date.month) AS month,
     count(r) AS decided, toInteger(sum(CASE WHEN working_days <= 1 THEN 1 ELSE 0 END)) AS on_time
RETURN agency, rag, month, decided, on_time, decided - on_time AS late, toFloat(on_time) / decided AS on_time_share
ORDER BY agency, rag, month
