# Every target works on a fresh clone: the first one that needs it creates .venv and
# installs the project with everything the tests, demo and lint need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CONFIG ?= xacct.toml
# Python's default: cache compiled modules in __pycache__ (git-ignored). Some machines set
# PYTHONDONTWRITEBYTECODE, which makes every process the tests, the demo and the bench start
# recompile the whole package (about 70 ms each).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: all venv templates test test-slow test-all lint demo bench clean

all: test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(STAMP)

templates: $(STAMP)
	$(BIN)/xacct-infra templates --config $(CONFIG) --out templates

# The slow tier (pytest marker `slow`, see pyproject.toml) is run by test-slow and by CI.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist worksteal -m "not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist worksteal -m slow

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check xacct_infra tests benchmarks
	$(BIN)/mypy xacct_infra
	$(BIN)/xacct-infra templates --config $(CONFIG) --out templates --check
	$(BIN)/cfn-lint --include-checks I -- templates/*.yaml
	$(BIN)/xacct-infra check --config $(CONFIG) --template-dir templates
	for dir in full consumers org kinds; do \
	  $(BIN)/xacct-infra templates --config tests/golden/$$dir/xacct.toml --out tests/golden/$$dir --check && \
	  $(BIN)/cfn-lint --include-checks I -- tests/golden/$$dir/*.yaml && \
	  $(BIN)/xacct-infra check --config tests/golden/$$dir/xacct.toml --template-dir tests/golden/$$dir > /dev/null || exit 1; \
	done

demo: $(STAMP)
	$(BIN)/xacct-infra local demo --config $(CONFIG)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
