// title: Toxic trio with no agency holding the whole picture
// description: >
//   Households where, within `window_months` months (12 by default), there
//   were concerns about the adults for all three of domestic abuse (CIN
//   factors 3B/3C), parental mental health (4B/4C) and substance misuse
//   (alcohol 1B/1C or drugs 2B/2C), raised by at least two different
//   agencies, and no single agency knows of all three: none raised, was sent
//   or was told of a concern in each of the three groups. A concern belongs
//   to a household when it was raised about anyone recorded as a member of
//   it by any agency: a household is a resolved household (every agency's
//   record of one family, docs/resolution.md "Households"), so a family that
//   social care and housing both recorded is one row. A window starts on the
//   date of one of the concerns. One row per household: its latest such
//   window, who raised what, and who is in it.
//   Only households whose members' stored facts hold all three kinds of
//   concern are read, and who knows of each event is read from its facts
//   (graph/analytics.py, refreshed after each ingestion job and resolution).
// params:
//   since: {type: date, default: 2000-01-01, help: only concerns raised on or after this date}
//   until: {type: date, default: today, help: only concerns raised on or before this date}
//   window_months: {type: int, default: 12, max: 240, help: the three kinds of concern must all fall within this many months}
//   limit: {type: int, default: 200, help: most households to list}
// tags: [patterns, households, weekly]
// returns: table
// alert: true
// alert_key: household
// severity: high
// alert_params: {limit: 100000}
MATCH (h:Family)
WHERE any(k IN h.frag_concerns WHERE k IN ['3B', '3C']) AND any(k IN h.frag_concerns WHERE k IN ['4B', '4C'])
  AND any(k IN h.frag_concerns WHERE k IN ['1B', '1C', '2B', '2C'])
MATCH (h)<-[:IN_FAMILY]-(:Household)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(p:Person)
WITH DISTINCT h, p
MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
WHERE c.key IN ['1B', '1C', '2B', '2C', '3B', '3C', '4B', '4C']
WITH DISTINCT h, c, x, coalesce(x.date, x.start) AS d
WHERE d >= date($since) AND d <= date($until)
WITH DISTINCT h, x, d,
     CASE WHEN c.key IN ['3B', '3C'] THEN 'domestic abuse'
          WHEN c.key IN ['4B', '4C'] THEN 'mental health'
          ELSE 'substance misuse' END AS need
WITH h, x, d, need, x.frag_raised_by AS raiser, x.frag_known_by AS knowers
ORDER BY h.key, d, x.key, need
WITH h, collect({d: d, need: need, raiser: raiser, knowers: knowers}) AS events
UNWIND events AS anchor
WITH h, anchor.d AS start,
     [e IN events WHERE e.d >= anchor.d AND e.d <= anchor.d + duration({months: $window_months})] AS win
WITH DISTINCT h, start, win
WITH h, start, win,
     reduce(s = [], e IN win | CASE WHEN e.need IN s THEN s ELSE s + e.need END) AS needs,
     reduce(s = [], e IN win | CASE WHEN e.raiser IS NULL OR e.raiser IN s THEN s ELSE s + e.raiser END) AS raisers,
     reduce(s = [], e IN win | s + [k IN e.knowers WHERE NOT k IN s]) AS knowers
WHERE size(needs) = 3 AND size(raisers) >= 2
WITH h, start, win, raisers,
     [k IN knowers | size(reduce(s = [], e IN win |
        CASE WHEN k IN e.knowers AND NOT e.need IN s THEN s + e.need ELSE s END))] AS coverage
WHERE all(n IN coverage WHERE n < 3)
WITH h, start, win ORDER BY h.key, start DESC
WITH h, collect({start: start, win: win})[0] AS latest
WITH h, latest.start AS window_start, latest.win AS win,
     reduce(s = latest.start, e IN latest.win | CASE WHEN e.d > s THEN e.d ELSE s END) AS window_end
WITH h, window_start, window_end, [e IN win | coalesce(e.raiser, '?') + ': ' + e.need] AS labels
WITH h, window_start, window_end, reduce(s = [], l IN labels | CASE WHEN l IN s THEN s ELSE s + l END) AS raised
MATCH (h)<-[:IN_FAMILY]-(:Household)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(m:Person)
WITH h, window_start, window_end, raised, m ORDER BY m.key
WITH h, window_start, window_end, raised, collect(DISTINCT m.key) AS people
RETURN h.key AS household, people, window_start, window_end, raised AS raised_by
ORDER BY window_end DESC, household
LIMIT $limit
