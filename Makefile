# The two commands of the README: `make demo` (the main job) and `make test` (the tests).
# Each sets up .venv on first use; later runs reuse it (re-installing only when
# pyproject.toml changes). Also: `make lessons`, `make lab`, `make site`, `make bench`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TORCH_CPU := torch==2.13.0
LESSONS  := $(sort $(wildcard lessons/[0-9][0-9]_*.ipynb))
EXECUTED := $(patsubst lessons/%,lessons/_build/%,$(LESSONS))
SITE_OUT ?= docs/_build/html

.PHONY: demo test lessons lab site site-quick bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet $(TORCH_CPU)
	$(PY) -m pip install --quiet -e ".[lessons,dev,docs]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/infoplane compare --dataset digits --out figures/

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

# every lesson at full size, figures inline, into lessons/_build/
lessons: $(STAMP)
	$(PY) lessons/execute.py --out lessons/_build
	$(PY) lessons/execute.py --out lessons/_build coursework/assignment_ib_objectives.ipynb coursework/solution_ib_objectives.ipynb

# one executed lesson, re-run only when its notebook changed (what `make site` reuses)
lessons/_build/%.ipynb: lessons/%.ipynb | $(STAMP)
	$(PY) lessons/execute.py --out lessons/_build $*.ipynb

# JupyterLab on the lessons with the venv's kernel ("Python (infoplane)"); lessons/ on the
# kernel's path so that `from checks import check` works in lessons/ and lessons/solutions/
lab: $(STAMP)
	$(PY) -m ipykernel install --sys-prefix --name infoplane --display-name "Python (infoplane)" \
		--env PYTHONPATH "$(CURDIR)/lessons"
	PYTHONPATH="$(CURDIR)/lessons" $(VENV)/bin/jupyter lab --notebook-dir=lessons

# the rendered site (Sphinx + myst-nb, extra `docs`): the lessons as executed by `make lessons` (only the
# stale ones are re-run), the API reference, the bibliography, the README; warnings and
# broken cross-references fail the build. `make site-quick`: no lessons (what CI builds).
site: $(STAMP) $(EXECUTED)
	$(PY) -m sphinx -W --keep-going -n -b html docs $(SITE_OUT)
	@echo "site: $(SITE_OUT)/index.html"

site-quick: $(STAMP)
	SITE_QUICK=1 $(PY) -m sphinx -W --keep-going -n -b html docs $(SITE_OUT)

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	# torch-mist pins numpy<2 but runs with numpy 2: install it and its pure-Python deps without theirs
	$(PY) -m pip install --quiet --no-deps torch-mist pyro-ppl pyro-api opt_einsum
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) lessons/_build docs/_build docs/_lessons docs/_api
