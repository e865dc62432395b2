// title: Everyone within k hops of a person
// description: >
//   The people around one person, in rings: hop 1 is everyone directly linked
//   to them (a family relation between their records, or a shared address,
//   household, referral, incident or episode), hop 2 everyone linked to hop 1,
//   and so on. `k` can be 1, 2 or 3 (a larger value counts as 3, because a
//   query cannot take its search depth as a parameter; the three rings are
//   written out). Each person is listed once, at the nearest ring, with how
//   many people of the previous ring they are linked to (1 for ring 1).
// params:
//   person: {type: person, help: key of the person at the centre}
//   k: {type: int, default: 2, help: how many hops out to go (1 to 3)}
//   limit: {type: int, default: 500, help: most people to list}
// tags: [network, person]
// returns: table
MATCH (start:Person {key: $person})
// Ring 1.
OPTIONAL MATCH (start)<-[:RESOLVES_TO]-(:Record)-[:RELATED_TO]-(:Record)-[:RESOLVES_TO]->(n:Person)
WITH start, collect(n.key) AS via_relation
OPTIONAL MATCH (start)<-[:RESOLVES_TO]-(:Record)-[:LIVES_AT|MEMBER_OF|ABOUT|INVOLVES|FOR]-()-[:LIVES_AT|MEMBER_OF|ABOUT|INVOLVES|FOR]-(:Record)-[:RESOLVES_TO]->(n:Person)
WITH start, via_relation, collect(n.key) AS via_shared
WITH start, via_relation + via_shared AS linked
UNWIND CASE WHEN size(linked) = 0 THEN [null] ELSE linked END AS key
// Rows are never filtered out (a ring with no one new must not end the query): a
// key that is not new becomes null, and collect() drops nulls.
WITH DISTINCT start, CASE WHEN key = start.key THEN null ELSE key END AS key
WITH start, collect(CASE WHEN key IS NULL THEN null ELSE {key: key, hop: 1, links: 1} END) AS found
WITH start, found, [f IN found | f.key] AS ring
// Ring 2 (only when k >= 2).
UNWIND CASE WHEN $k >= 2 AND size(ring) > 0 THEN ring ELSE [null] END AS fk
OPTIONAL MATCH (f:Person {key: fk})<-[:RESOLVES_TO]-(:Record)-[:RELATED_TO]-(:Record)-[:RESOLVES_TO]->(n:Person)
WITH start, found, fk, collect(n.key) AS via_relation
OPTIONAL MATCH (f:Person {key: fk})<-[:RESOLVES_TO]-(:Record)-[:LIVES_AT|MEMBER_OF|ABOUT|INVOLVES|FOR]-()-[:LIVES_AT|MEMBER_OF|ABOUT|INVOLVES|FOR]-(:Record)-[:RESOLVES_TO]->(n:Person)
WITH start, found, fk, via_relation, collect(n.key) AS via_shared
WITH start, found, fk, via_relation + via_shared AS linked
UNWIND CASE WHEN size(linked) = 0 THEN [null] ELSE linked END AS key
WITH start, found, fk,
     CASE WHEN key = start.key OR key IN [f IN found | f.key] THEN null ELSE key END AS key
WITH start, found, key, count(DISTINCT fk) AS links
WITH start, found, collect(CASE WHEN key IS NULL THEN null ELSE {key: key, hop: 2, links: links} END) AS ring2
WITH start, found + ring2 AS found, [f IN ring2 | f.key] AS ring
// Ring 3 (only when k >= 3).
UNWIND CASE WHEN $k >= 3 AND size(ring) > 0 THEN ring ELSE [null] END AS fk
OPTIONAL MATCH (f:Person {key: fk})<-[:RESOLVES_TO]-(:Record)-[:RELATED_TO]-(:Record)-[:RESOLVES_TO]->(n:Person)
WITH start, found, fk, collect(n.key) AS via_relation
OPTIONAL MATCH (f:Person {key: fk})<-[:RESOLVES_TO]-(:Record)-[:LIVES_AT|MEMBER_OF|ABOUT|INVOLVES|FOR]-()-[:LIVES_AT|MEMBER_OF|ABOUT|INVOLVES|FOR]-(:Record)-[:RESOLVES_TO]->(n:Person)
WITH start, found, fk, via_relation, collect(n.key) AS via_shared
WITH start, found, fk, via_relation + via_shared AS linked
UNWIND CASE WHEN size(linked) = 0 THEN [null] ELSE linked END AS key
WITH start, found, fk,
     CASE WHEN key = start.key OR key IN [f IN found | f.key] THEN null ELSE key END AS key
WITH start, found, key, count(DISTINCT fk) AS links
WITH found, collect(CASE WHEN key IS NULL THEN null ELSE {key: key, hop: 3, links: links} END) AS ring3
UNWIND found + ring3 AS f
MATCH (p:Person {key: f.key})
RETURN p.key AS person, p.display_name AS name, f.hop AS hop, f.links AS linked_to_previous_ring
ORDER BY hop, linked_to_previous_ring DESC, person
LIMIT $limit
