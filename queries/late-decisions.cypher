// title: Referrals decided outside one working day
// description: >
//   Referrals and contacts whose decision (no further action, early help,
//   assessment, strategy discussion...) came later than the MASH timescale of
//   one working day. Working days are counted from the day after the referral
//   up to the day of the decision, Monday to Friday; bank holidays are not
//   known to the query and count as working days, so a referral made before a
//   bank holiday can be listed although it was on time. A referral made on a
//   Friday and decided on the Monday took one working day. Referrals with no
//   decision date yet are not listed. Slowest first.
// params:
//   since: {type: date, default: 2000-01-01, help: referrals made on or after this date (the default takes in every referral since 2000)}
//   until: {type: date, default: today, help: referrals made on or before this date}
//   working_days: {type: int, default: 1, help: the timescale; a decision taking more working days than this is late}
//   agency: {type: string, default: "", help: only referrals this agency made (such as police; (no agency) for none; empty for all)}
//   rag: {type: string, default: "", help: only referrals with this RAG rating (RED AMBER GREEN or (none); empty for all)}
//   limit: {type: int, default: 500, help: most referrals to list}
// tags: [referrals, timeliness, weekly]
// returns: table
// alert: true
// alert_key: referral
// severity: low
// alert_params: {limit: 100000}
MATCH (r:Referral)
WHERE r.decision_date IS NOT NULL AND r.date >= date($since) AND r.date <= date($until)
  AND r.decision_date >= r.date
// Day numbers by the civil-calendar formula (days since 1 March of year 0), so
// the query needs no engine-specific date arithmetic.
WITH r, [d IN [r.date, r.decision_date] |
         [d.year - CASE WHEN d.month <= 2 THEN 1 ELSE 0 END, (d.month + 9) % 12, d.day]] AS ymd
WITH r, [x IN ymd | 365 * x[0] + x[0] / 4 - x[0] / 100 + x[0] / 400 + (153 * x[1] + 2) / 5 + x[2]] AS day_numbers
WITH r, day_numbers[1] - day_numbers[0] AS calendar_days, r.date.dayOfWeek AS weekday
WITH r, calendar_days,
     (calendar_days / 7) * 5 + size([i IN range(1, calendar_days % 7) WHERE (weekday - 1 + i) % 7 < 5]) AS working_days
WHERE working_days > $working_days
OPTIONAL MATCH (maker:Agency)-[:MADE]->(r)
OPTIONAL MATCH (r)-[:ABOUT]->(:Record)-[:RESOLVES_TO]->(p:Person)
WITH r, calendar_days, working_days, maker, p
ORDER BY p.key
WITH r, calendar_days, working_days, collect(DISTINCT maker.key) AS makers, collect(DISTINCT p.key) AS people
WHERE ($agency = '' OR coalesce(head(makers), '(no agency)') = $agency) AND ($rag = '' OR coalesce(r.rag, '(none)') = $rag)
RETURN r.key AS referral, r.date AS date, r.decision_date AS decision_date, working_days, calendar_days,
       head(makers) AS made_by, r.rag AS rag, r.outcome AS outcome,
       reduce(s = '', k IN people | s + CASE WHEN s = '' THEN '' ELSE ', ' END + k) AS people
ORDER BY working_days DESC, date, referral
LIMIT $limit
