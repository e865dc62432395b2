# mashgraph: `make demo` runs the whole job on the embedded store; `make test` runs every test.
# Both create .venv with a Python >= 3.12 found on this machine (tools/find-python).

VENV      := .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
LINT_DIR  := tools/cypherlint
DEMO_DIR  ?= demo
DEMO_PEOPLE ?= 2000
HOST      ?= 127.0.0.1
PORT      ?= 5000

.PHONY: demo test venv lint-cypher fixtures bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(tools/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

$(LINT_DIR)/node_modules/.installed: $(LINT_DIR)/package.json $(LINT_DIR)/package-lock.json
	cd $(LINT_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## demo: generate synthetic data, ingest it, resolve identities and serve the explorer
demo: $(STAMP)
	$(VENV)/bin/mashgraph demo --dir $(DEMO_DIR) --people $(DEMO_PEOPLE) --host $(HOST) --port $(PORT)

## test: the whole suite (Cypher lint included)
test: $(STAMP) $(LINT_DIR)/node_modules/.installed
	$(VENV)/bin/python -m pytest

## lint-cypher: check every Cypher statement the project sends with Neo4j's own front end
lint-cypher: $(STAMP) $(LINT_DIR)/node_modules/.installed
	$(VENV)/bin/python -m mashgraph.graph.lint

## fixtures: regenerate the committed test fixture set
fixtures: $(STAMP)
	$(VENV)/bin/mashgraph synth --people 400 --seed 7 --out tests/fixtures/synth

clean:
	rm -rf $(VENV) $(LINT_DIR)/node_modules
