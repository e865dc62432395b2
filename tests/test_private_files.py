"""Files holding personal data are written owner-only (0600)."""

from __future__ import annotations

import stat

from mashgraph.ingest.private_files import open_private
from mashgraph.ingest.resolve.explain import export_assignments

RECORDS_CYPHER = """
UNWIND $rows AS row
MERGE (r:Record {key: row.key}) SET r.given_name = row.given
"""


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_open_private_makes_and_tightens_owner_only_files(tmp_path):
    fresh = tmp_path / "sub" / "fresh.csv"
    with open_private(fresh) as fh:
        fh.write("a\n")
    assert _mode(fresh) == 0o600 and fresh.read_text() == "a\n"

    loose = tmp_path / "loose.csv"
    loose.write_text("old")
    loose.chmod(0o644)
    with open_private(loose) as fh:
        fh.write("new")
    assert _mode(loose) == 0o600 and loose.read_text() == "new"


def test_resolve_export_is_owner_only(embedded_store, tmp_path):
    embedded_store.write_batches(RECORDS_CYPHER, [{"key": "police:1", "given": "Amy"},
                                                  {"key": "health:2", "given": "Bo"}])
    out = tmp_path / "assignments.csv"
    assert export_assignments(embedded_store, out) == 2
    assert _mode(out) == 0o600
    assert out.read_text().splitlines()[0] == '"record_key","person_key","probability"'  # quoted (safe_csv)
