// title: Split identity - one person held as unlinked records
// description: >
//   People held as two or more records that share no identifier (NHS
//   number, UPN, PNC id or NI number) and differ in name (given or family
//   name spelt differently, a nickname, names swapped) and in date of birth
//   by a day/month transposition or a default 1 January. These are the
//   records an agency would not have linked by itself: each row is one such
//   pair, with the details that differ.
// params:
//   limit: {type: int, default: 500, help: most record pairs to list}
// tags: [patterns, identity, data-quality]
// returns: table
// alert: true
// alert_key: person
// severity: low
// alert_params: {limit: 100000}
MATCH (r1:Record)-[:RESOLVES_TO]->(p:Person)<-[:RESOLVES_TO]-(r2:Record)
WHERE r1.key < r2.key AND r1.dob IS NOT NULL AND r2.dob IS NOT NULL AND r1.dob <> r2.dob
  AND r1.dob.year = r2.dob.year
  AND ((r1.dob.day = r2.dob.month AND r1.dob.month = r2.dob.day)
       OR (r1.dob.day = 1 AND r1.dob.month = 1) OR (r2.dob.day = 1 AND r2.dob.month = 1))
  AND (toLower(coalesce(r1.given_name, '')) <> toLower(coalesce(r2.given_name, ''))
       OR toLower(coalesce(r1.family_name, '')) <> toLower(coalesce(r2.family_name, '')))
  AND NOT coalesce(r1.nhs_number = r2.nhs_number, false)
  AND NOT coalesce(r1.upn = r2.upn, false)
  AND NOT coalesce(r1.pnc_id = r2.pnc_id, false)
  AND NOT coalesce(r1.ni_number = r2.ni_number, false)
RETURN p.key AS person, p.display_name AS name, r1.key AS record_a, r2.key AS record_b,
       coalesce(r1.given_name, '') + ' ' + coalesce(r1.family_name, '') AS name_a,
       coalesce(r2.given_name, '') + ' ' + coalesce(r2.family_name, '') AS name_b,
       r1.dob AS dob_a, r2.dob AS dob_b,
       CASE WHEN r1.dob.day = r2.dob.month AND r1.dob.month = r2.dob.day THEN 'day and month swapped'
            ELSE 'default 1 January' END AS dob_difference
ORDER BY person, record_a, record_b
LIMIT $limit
