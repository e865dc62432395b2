// title: People known to many agencies
// description: >
//   People whose records are held by at least `min_agencies` different
//   agencies, with the agencies named. Many agencies working with one person
//   is where information is most likely to be split between them. Most
//   agencies first. The agencies are read from the facts stored after each
//   ingestion job and resolution (graph/analytics.py, `frag_involved`).
// params:
//   min_agencies: {type: int, default: 3, help: fewest agencies that hold a record of the person}
//   limit: {type: int, default: 200, help: most people to list}
// tags: [overview, weekly]
// returns: table
MATCH (p:Person)
WHERE size(coalesce(p.frag_involved, [])) >= $min_agencies
WITH p
MATCH (p)<-[:RESOLVES_TO]-(r:Record)-[:HELD_BY]->(:Agency)
WITH p, size(p.frag_involved) AS agencies, p.frag_involved AS agency_keys, count(DISTINCT r) AS records
RETURN p.key AS person, p.display_name AS name, p.dob AS dob, agencies, records,
       reduce(s = '', k IN agency_keys | s + CASE WHEN s = '' THEN '' ELSE ', ' END + k) AS agency_list
ORDER BY agencies DESC, records DESC, person
LIMIT $limit
