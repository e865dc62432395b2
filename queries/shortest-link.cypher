// title: Shortest link between two people
// description: >
//   How two people are connected: the shortest chains of records, family
//   relations, shared addresses, households, referrals, incidents and episodes
//   between them (agencies and concern codes are not links: two people are not
//   connected just because the same agency holds both records). Chains of up
//   to 10 steps are searched (a step is one relationship; person - record -
//   address - record - person is 4 steps). No row means no chain that short.
// params:
//   from_person: {type: person, help: key of the first person}
//   to_person: {type: person, help: key of the second person}
//   max_paths: {type: int, default: 5, help: most shortest chains to show when several are equally short}
// tags: [network, person]
// returns: graph
MATCH (a:Person {key: $from_person})
OPTIONAL MATCH (b:Person {key: $to_person})
WITH a, b
MATCH path = allShortestPaths((a)-[:RESOLVES_TO|RELATED_TO|LIVES_AT|MEMBER_OF|ABOUT|INVOLVES|FOR|AT*..10]-(b))
WITH path, length(path) AS steps, reduce(s = '', n IN nodes(path) | s + n.key + '>') AS route
RETURN path, steps
ORDER BY route
LIMIT $max_paths
