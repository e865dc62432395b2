// title: Brokers - adults who connect several children
// description: >
//   Adults linked to at least `min_children` children of their community by
//   shared incidents or addresses (not as family: parents are not brokers),
//   with their betweenness within the community (0 to 1: the share of
//   shortest paths between members that run through them). Listed with the
//   most children first. The community's exploitation figure is the number
//   of members with an exploitation concern (docs/analytics.md). Stored by
//   the last analytics run (after ingestion and resolution, or
//   `mashgraph analytics run`); `computed` says when.
// params:
//   min_children: {type: int, default: 2, help: only adults linked to at least this many children}
//   min_exploitation: {type: int, default: 0, help: only in communities with at least this many members with an exploitation concern}
//   limit: {type: int, default: 100, help: most adults to list}
// tags: [linked-risk, exploitation, contextual-safeguarding]
// returns: table
MATCH (p:Person)
WHERE p.broker_children >= $min_children AND p.community_exploitation >= $min_exploitation
RETURN p.key AS person, p.display_name AS name, p.broker_children AS children, p.broker_score AS betweenness,
       p.community AS community, p.community_size AS community_size,
       p.community_exploitation AS exploitation, p.risk_score AS score, p.risk_run AS computed
ORDER BY children DESC, betweenness DESC, person
LIMIT $limit
