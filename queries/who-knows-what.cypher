// title: Who knows what about one person
// description: >
//   The concern by agency picture for one person: one row for every concern
//   raised about them and every agency that either works with them (holds a
//   record of them) or knows of the concern. "knows" says whether the agency
//   knows of the concern and "how" says how it learned of it (it made the
//   referral, recorded the incident, runs the episode, or the referral was
//   sent or shared with it). Rows where an agency works with the person but
//   does not know the concern are the gaps in the picture.
// params:
//   person: {type: person, help: the person's key (as shown in search results and on the person page)}
// tags: [fragmentation, person]
// returns: table
MATCH (p:Person {key: $person})
OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH p, collect(DISTINCT a.key) AS involved
MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
WITH DISTINCT involved, c, x
OPTIONAL MATCH (x)-[k:MADE|RECORDED|RUNS|TO|SHARED_WITH]-(ka:Agency)
WITH involved, c, x, ka.key AS knower, type(k) AS how
WITH involved, c, count(DISTINCT x) AS times_raised, collect(DISTINCT knower) AS knowers,
     collect(DISTINCT CASE WHEN knower IS NULL THEN null ELSE knower + '|' + how END) AS links
UNWIND involved + [k IN knowers WHERE NOT k IN involved] AS agency
WITH c, times_raised, agency, agency IN involved AS works_with,
     [t IN ['MADE', 'RECORDED', 'RUNS', 'TO', 'SHARED_WITH'] WHERE (toString(agency) + '|' + t) IN links] AS hows
RETURN c.key AS concern, c.label AS concern_label, times_raised, agency, works_with,
       size(hows) > 0 AS knows,
       reduce(s = '', h IN hows | s + CASE WHEN s = '' THEN '' ELSE ', ' END +
         CASE h WHEN 'MADE' THEN 'made the referral' WHEN 'RECORDED' THEN 'recorded the incident'
                WHEN 'RUNS' THEN 'runs the episode' WHEN 'TO' THEN 'referral sent to it'
                ELSE 'referral shared with it' END) AS how
ORDER BY concern, knows, agency
