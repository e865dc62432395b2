// title: Highest linked risk - children not known to children's social care
// description: >
//   Children (under `max_age` on the date the scores were computed) ranked by
//   their linked-risk score, leaving out any child with a record held by a
//   children's social care agency. The score is personalised PageRank over
//   household, relative, incident and address links, seeded by the concerns
//   raised about each person, weighted and decayed with age
//   (docs/analytics.md); 1.0 is the average person. `reasons` gives the top
//   contributing paths in words: whose concerns, through which links, and
//   their share of the score (`path_people`: the people on those paths). The scores are worked out after each ingestion
//   job and each resolution of identities (or by `mashgraph analytics run`)
//   and stored on the graph; `computed` says when. Whether children's social
//   care holds a record of the child is read from the stored facts
//   (`frag_involved`, graph/analytics.py).
// params:
//   max_age: {type: int, default: 18, help: only children younger than this on the scoring date}
//   min_score: {type: float, default: 0.0, help: only children with at least this score}
//   limit: {type: int, default: 100, help: most children to list}
// tags: [linked-risk, children]
// returns: table
MATCH (csc:Agency {kind: 'childrens_social_care'})
WITH collect(csc.key) AS csc
MATCH (p:Person)
WHERE p.risk_score >= $min_score AND p.risk_age < $max_age
  AND none(k IN coalesce(p.frag_involved, []) WHERE k IN csc)
RETURN p.key AS person, p.display_name AS name, p.risk_age AS age, p.risk_score AS score, p.risk_rank AS rank,
       p.risk_reasons AS reasons, reduce(s = [], x IN coalesce(p.risk_paths, []) | s + split(x, '>')) AS path_people,
       p.community AS community, p.risk_run AS computed
ORDER BY score DESC, person
LIMIT $limit
