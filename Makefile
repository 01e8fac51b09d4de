# Every target creates .venv when it is missing and installs the package into it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install test test-slow demo bench clean-data

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow -o addopts=''

demo: $(STAMP)
	$(PY) -m robo_offline.commands.demo

bench: $(STAMP)
	$(PY) -m robo_offline.commands.bench

clean-data:
	rm -rf datasets/robo_offline datasets/.shards demo_out
