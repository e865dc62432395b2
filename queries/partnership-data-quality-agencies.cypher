// title: Data quality by agency (partnership dashboard)
// description: >
//   For each agency, its records in the graph, the share of them holding each
//   identifier (NHS number, UPN, PNC id, National Insurance number) and a date
//   of birth, the share linked to a person, and the share whose person other
//   agencies also hold records of (matched across agencies). A record not
//   linked to a person has not been through resolution yet. `agency` and `la`
//   keep that agency or that authority's agencies.
// params:
//   la: {type: string, default: "", help: a local authority such as la1 (empty for all)}
//   agency: {type: string, default: "", help: an agency key such as police (empty for all)}
// tags: [partnership, data-quality]
// returns: table
MATCH (a:Agency)<-[:HELD_BY]-(rec:Record)
WHERE ($agency = '' OR a.key = $agency) AND ($la = '' OR a.la = $la)
OPTIONAL MATCH (rec)-[:RESOLVES_TO]->(p:Person)
WITH a, rec, count(p) AS links, max(size(coalesce(p.frag_involved, []))) AS agencies
WITH a.key AS agency, count(rec) AS records,
     toInteger(sum(CASE WHEN rec.nhs_number IS NULL THEN 0 ELSE 1 END)) AS nhs,
     toInteger(sum(CASE WHEN rec.upn IS NULL THEN 0 ELSE 1 END)) AS upn,
     toInteger(sum(CASE WHEN rec.pnc_id IS NULL THEN 0 ELSE 1 END)) AS pnc,
     toInteger(sum(CASE WHEN rec.ni_number IS NULL THEN 0 ELSE 1 END)) AS ni,
     toInteger(sum(CASE WHEN rec.dob IS NULL THEN 0 ELSE 1 END)) AS dob,
     toInteger(sum(CASE WHEN links > 0 THEN 1 ELSE 0 END)) AS linked,
     toInteger(sum(CASE WHEN agencies >= 2 THEN 1 ELSE 0 END)) AS matched
RETURN agency, records, toFloat(nhs) / records AS nhs_number, toFloat(upn) / records AS upn,
       toFloat(pnc) / records AS pnc_id, toFloat(ni) / records AS ni_number, toFloat(dob) / records AS dob,
       toFloat(linked) / records AS linked, toFloat(matched) / records AS matched_across_agencies
ORDER BY agency
