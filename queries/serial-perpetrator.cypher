// title: Serial domestic abuse perpetrator
// description: >
//   People recorded by the police as the perpetrator of domestic abuse
//   incidents at `min_households` or more different addresses (2 by
//   default) against `min_victims` or more different victims (2). Each new
//   household may be seen in isolation; together they show a pattern. One
//   row per perpetrator, with the incidents, addresses and victims.
// params:
//   since: {type: date, default: 2000-01-01, help: only incidents on or after this date}
//   until: {type: date, default: today, help: only incidents on or before this date}
//   min_households: {type: int, default: 2, help: fewest different addresses}
//   min_victims: {type: int, default: 2, help: fewest different victims}
//   limit: {type: int, default: 200, help: most people to list}
// tags: [patterns, domestic-abuse, adults]
// returns: table
// alert: true
// alert_key: person
// severity: medium
// alert_params: {limit: 100000}
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)<-[pr:INVOLVES]-(i:Incident {type: 'domestic_abuse'})-[:AT]->(a:Address)
WHERE pr.role = 'perpetrator' AND i.date >= date($since) AND i.date <= date($until)
MATCH (i)-[vr:INVOLVES]->(:Record)-[:RESOLVES_TO]->(v:Person)
WHERE vr.role = 'victim' AND v <> p
WITH DISTINCT p, i, a, v ORDER BY p.key, i.date, i.key, v.key
WITH p, collect(DISTINCT i.key) AS incidents, collect(DISTINCT a.key) AS addresses,
     collect(DISTINCT v.key) AS victims, min(i.date) AS first_incident, max(i.date) AS last_incident
WHERE size(addresses) >= $min_households AND size(victims) >= $min_victims
RETURN p.key AS person, p.display_name AS name, size(incidents) AS incidents_count,
       size(addresses) AS households, size(victims) AS victims_count,
       first_incident, last_incident, incidents, addresses, victims
ORDER BY households DESC, victims_count DESC, last_incident DESC, person
LIMIT $limit
