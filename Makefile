# The two commands of the README: `make demo` (the main job) and `make test` (the tests).
# Each sets up .venv on first use; later runs reuse it (re-installing only when
# pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TORCH_CPU := torch==2.13.0

.PHONY: demo test lessons bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet $(TORCH_CPU)
	$(PY) -m pip install --quiet -e ".[lessons,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/infoplane compare --dataset digits --out figures/

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lessons: $(STAMP)
	$(PY) lessons/execute.py --out lessons/_build

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) lessons/_build
