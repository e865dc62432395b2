// title: Data quality by agency (partnership dashboard)
// description: >
//   For each agency, its records in the graph, the share of them holding each
//   identifier (NHS number, UPN, PNC id, National Insurance number) and a date
//   of birth, the share linked to a person, and the share whose person other
//   agencies also hold records of (matched across agencies). A record not
//   linked to a person has not been through resolution yet. `agency` and `la`
//   keep that agency or that authority's agencies. The counts are stored on
//   each Agency at the last ingestion or resolution (graph/partnership.py).
// params:
//   la: {type: string, default: "", help: a local authority such as la1 (empty for all)}
//   agency: {type: string, default: "", help: an agency key such as police (empty for all)}
// tags: [partnership, data-quality]
// returns: table
MATCH (a:Agency)
WHERE coalesce(a.dq_records, 0) > 0 AND ($agency = '' OR a.key = $agency) AND ($la = '' OR a.la = $la)
WITH a, toFloat(a.dq_records) AS records
RETURN a.key AS agency, a.dq_records AS records, a.dq_nhs_number / records AS nhs_number, a.dq_upn / records AS upn,
       a.dq_pnc_id / records AS pnc_id, a.dq_ni_number / records AS ni_number, a.dq_dob / records AS dob,
       a.dq_linked / records AS linked, a.dq_matched / records AS matched_across_agencies
ORDER BY agency
