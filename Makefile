# The Makefile is the project's interface: CI calls `make test`, developers `make run`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck unit docs run demo bench synth clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench infra app.py
	$(BIN)/ruff format --check src tests bench infra app.py

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck synth
	$(BIN)/pytest

# The CDK app for every environment, offline: cdk-nag (AwsSolutions) fails the synth on any
# unacknowledged finding, then cfn-lint checks the templates. W3005 is ignored because CDK
# declares DependsOn on a role its functions already reference through GetAtt.
synth: $(STAMP)
	rm -rf cdk.out
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/python app.py --all-environments
	$(BIN)/cfn-lint --ignore-checks W3005 -- cdk.out/*.template.json

docs: $(STAMP)
	$(BIN)/python -m jobstate.docs

run: $(STAMP)
	$(BIN)/jobstate serve $(if $(PORT),--port $(PORT),)

# A sample job through the local service, followed the way the frontend polls it.
demo: $(STAMP)
	$(BIN)/jobstate demo

# Not part of `make test`: a few minutes of load against moto; writes bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache cdk.out build
