"""Settings (settings.py): defaults, then MASHGRAPH_* environment variables, then overrides; all documented."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from mashgraph.cli import cli
from mashgraph.errors import ConfigError
from mashgraph.ingest.resolve.decisions import current_user, record_decision
from mashgraph.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_docs_settings_md():
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [f.name for f in fields(Settings)
               if f"`{f.name}`" not in doc or f"`MASHGRAPH_{f.name.upper()}`" not in doc]
    assert not missing, f"document these settings in docs/settings.md (name, env var, default, meaning): {missing}"


@pytest.mark.parametrize("value, words", [("abc", "is not a valid int"), ("-5", "must be 1 or more"),
                                          ("0", "must be 1 or more")])
def test_a_bad_number_in_the_environment_is_one_clear_error(tmp_path, value, words):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "g"), "cypher", "RETURN 1"],
                                env={"MASHGRAPH_QUERY_TIMEOUT_MS": value})
    assert result.exit_code == 2
    assert f"error: MASHGRAPH_QUERY_TIMEOUT_MS={value!r} {words}" in result.output


def test_defaults_then_environment_then_overrides():
    assert load_settings(environ={}) == Settings()
    env = {"MASHGRAPH_ROW_CAP": "7", "MASHGRAPH_COOKIE_SECURE": "yes", "MASHGRAPH_DB": "bolt://h:7687",
           "MASHGRAPH_REQUIRE_REASON": "no", "OTHER_ROW_CAP": "9"}
    s = load_settings(environ=env)
    assert (s.row_cap, s.cookie_secure, s.db, s.require_reason) == (7, True, "bolt://h:7687", False)
    # An override wins over the environment; None means "not given" and keeps it.
    s = load_settings(environ=env, row_cap=3, db=None)
    assert (s.row_cap, s.db) == (3, "bolt://h:7687")


def test_a_bad_number_names_the_variable_and_what_to_do():
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"MASHGRAPH_BATCH_SIZE": "ten"})
    assert "MASHGRAPH_BATCH_SIZE='ten' is not a valid int" in str(err.value)
    assert "MASHGRAPH_BATCH_SIZE" in err.value.hint


def test_mashgraph_user_is_a_setting_read_like_every_other(monkeypatch):
    assert load_settings(environ={"MASHGRAPH_USER": "a.analyst"}).user == "a.analyst"
    assert current_user(load_settings(environ={"MASHGRAPH_USER": "a.analyst"})) == "a.analyst"
    # Unset: the login name (getpass reads LOGNAME first).
    monkeypatch.setenv("LOGNAME", "login-name")
    assert current_user(load_settings(environ={})) == "login-name"
    # Without settings, the process environment is read through load_settings.
    monkeypatch.setenv("MASHGRAPH_USER", "from-env")
    assert current_user() == "from-env"


def test_a_decision_is_recorded_by_the_store_settings_user(tmp_path):
    from mashgraph.graph import open_store

    settings = load_settings(environ={"MASHGRAPH_USER": "j.reviewer"})
    with open_store(str(tmp_path / "graph"), settings) as store:
        store.write("UNWIND ['r:1', 'r:2'] AS k MERGE (:Record {key: k})", {})
        d = record_decision(store, "r:1", "r:2", "same", "checked the school record")
        assert d.decided_by == "j.reviewer"
        d = record_decision(store, "r:1", "r:2", "different", "checked again", decided_by="k.lead")
        assert d.decided_by == "k.lead"
