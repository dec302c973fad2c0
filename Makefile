# Two entry points do all set-up on a fresh machine with Python 3.11+:
#   make run   - the main job end to end on the default data
#   make test  - the test suite (the default tier, a few minutes; make test-all adds the slow tier, as CI does)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp

.PHONY: run test test-all lint docs bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,docs]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sahelrisk run $(ARGS)

# Tests run on every core (pytest-xdist); those marked slow (real-data trainings) only in test-all.
test: $(STAMP)
	$(BIN)/pytest -n auto -m "not slow" $(PYTEST_ARGS)

test-all: $(STAMP)
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

# The habits: ruff (pydocstyle's numpy convention, annotations, no blind except) on every module, and mypy
# with every definition typed.
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs
	$(BIN)/mypy

# The documentation site (docs/, mkdocs.yml) into site/; --strict: a broken link or reference fails the build.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --quiet

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_panel.py
	$(BIN)/python benchmarks/bench_scoring.py
	$(BIN)/python benchmarks/bench_main.py
	$(BIN)/python benchmarks/bench_horizons.py
	$(BIN)/python benchmarks/bench_update.py
	$(BIN)/python benchmarks/bench_areas.py
	$(BIN)/python benchmarks/bench_routes.py
	$(BIN)/python benchmarks/bench_severity.py
	$(BIN)/python benchmarks/bench_weekly.py
	$(BIN)/python benchmarks/bench_speed.py --before 989c971 --tests
	$(BIN)/python benchmarks/bench_views.py   # the ViEWS protocol with the challenge's exact benchmarks (views_challenge.json)
	$(BIN)/python benchmarks/bench_skill.py   # weekly AP against the rules, chosen on validation (skill.json)
	$(BIN)/python benchmarks/bench_wins.py    # where the model wins and loses (wins.json; reads bench_skill's forecasts)
	$(BIN)/python benchmarks/bench_area_deaths.py   # area-level deaths intervals (area_deaths.json)
	$(BIN)/python benchmarks/bench_serve.py   # over what make run published (outputs/, mlruns/)

clean:
	rm -rf $(VENV) outputs site
