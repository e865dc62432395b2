// title: People known to many agencies
// description: >
//   People whose records are held by at least `min_agencies` different
//   agencies, with the agencies named. Many agencies working with one person
//   is where information is most likely to be split between them. Most
//   agencies first.
// params:
//   min_agencies: {type: int, default: 3, help: fewest agencies that hold a record of the person}
//   limit: {type: int, default: 200, help: most people to list}
// tags: [overview, weekly]
// returns: table
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH p, count(DISTINCT a) AS agencies
WHERE agencies >= $min_agencies
MATCH (p)<-[:RESOLVES_TO]-(r:Record)-[:HELD_BY]->(a:Agency)
WITH p, agencies, r, a.key AS agency
ORDER BY agency
WITH p, agencies, count(DISTINCT r) AS records, collect(DISTINCT agency) AS agency_keys
RETURN p.key AS person, p.display_name AS name, p.dob AS dob, agencies, records,
       reduce(s = '', k IN agency_keys | s + CASE WHEN s = '' THEN '' ELSE ', ' END + k) AS agency_list
ORDER BY agencies DESC, records DESC, person
LIMIT $limit
