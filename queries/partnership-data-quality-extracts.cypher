// title: Data quality by extract (partnership dashboard)
// description: >
//   Every run of every extract file loaded: its source (the mapping), the
//   file's name, the run (source and the start of the file's checksum), the rows read, loaded, quarantined (not loaded)
//   and warned about (loaded with a bad optional field emptied), and the
//   reasons with their counts ("reason|count"). The rows themselves are in
//   the run's quarantine folder (docs/ingestion.md). Largest share
//   quarantined first.
// tags: [partnership, data-quality, ingestion]
// returns: table
MATCH (r:IngestRun)
WITH r, coalesce(r.read, 0) AS read
RETURN r.source AS source, last(split(r.file, '/')) AS file, r.key AS run, r.status AS status, read,
       coalesce(r.loaded, 0) AS loaded, coalesce(r.quarantined, 0) AS quarantined,
       coalesce(r.warnings, 0) AS warnings,
       CASE WHEN read = 0 THEN 0.0 ELSE toFloat(coalesce(r.quarantined, 0)) / read END AS quarantined_share,
       reduce(s = '', x IN coalesce(r.reasons, []) | s + CASE WHEN s = '' THEN '' ELSE ', ' END + x) AS reasons,
       reduce(s = '', x IN coalesce(r.warning_reasons, []) | s + CASE WHEN s = '' THEN '' ELSE ', ' END + x) AS warning_reasons
ORDER BY quarantined_share DESC, source, file, run
