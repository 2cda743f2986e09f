# Developer and CI entry points. `make test` is the command CI runs.
#
#   make venv     create .venv (first Python >= 3.12 found) and install the project with its test extra
#   make compare  compare the governance configurations (table + results/compare/comparison.png)
#   make test     run the test suite (notebooks included, on their quick setting), the linter, the formatter's check
#                 and the type checker; prints the 25 slowest tests
#   make test-fast  the fast lane: model equations and mechanisms, validation, command-line parsing (under 2 minutes;
#                 conftest.py says which modules, the rest are marked slow)
#   make bench    run the performance benchmark (bench/README.md)
#   make notebooks run the notebooks at full size and save them with their outputs (docs/reproduce.md)
#   make fonts    rebuild the Chinese font in simulation/fontdata/ from Debian's fonts-noto-cjk (docs/translating.md)
#   make messages extract the messages to translate and merge them into the catalogues (docs/translating.md)
#   make mutants  mutation testing of the model core with mutmut (docs/mutation.md); slow, not part of `make test`

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

VENV   := .venv
PY     := $(VENV)/bin/python
# Written after a successful install; re-running `make venv` is then a no-op
# until pyproject.toml changes (or .venv is deleted).
STAMP  := $(VENV)/.installed-stamp

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: venv compare test test-fast bench notebooks messages fonts mutants clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml .ci/find-python
	@if ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	    python="$$(.ci/find-python)"; \
	    echo "Creating $(VENV) with $$python ($$("$$python" --version))"; \
	    rm -rf $(VENV); \
	    "$$python" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)
	@echo "$(VENV) ready: $$($(PY) --version)"

compare: venv
	$(PY) -m simulation compare

test: venv
	@rc=0; $(PY) -m pytest -q --durations=25 || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests (exit 5); counted as a failure" >&2; fi; \
	if [ $$rc -ne 0 ]; then exit $$rc; fi
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .  # what it formats: [tool.ruff.format] in pyproject.toml
	$(VENV)/bin/mypy  # configuration and the files it checks: [tool.mypy] in pyproject.toml

# The fast lane, without the notebooks (addopts adds nbmake) or anything marked slow.
test-fast: venv
	$(PY) -m pytest -q -o addopts= -m "not slow" tests

bench: venv
	$(PY) bench/benchmark.py $(BENCH_ARGS)

# Each notebook runs in a fresh kernel and is saved in place with its outputs (notebooks/publish.py; NOTEBOOKS=name
# for some of them). tests/test_notebooks.py fails when the saved outputs no longer match the code.
NOTEBOOKS ?=
notebooks: venv
	$(PY) notebooks/publish.py $(NOTEBOOKS)

# pybabel extract reads the code and the configuration files (babel.cfg); update merges new and changed messages
# into each language's .po (marking changed ones fuzzy, dropping removed ones). Translate, then run the tests:
# tests/test_i18n.py fails on any untranslated, fuzzy or stale message.
messages: venv
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --project community-self-governance \
	    --copyright-holder "the project's authors" -o simulation/locale/messages.pot .
	$(VENV)/bin/pybabel update -i simulation/locale/messages.pot -d simulation/locale --no-wrap --ignore-obsolete

# The Chinese font the package ships (simulation/fontdata/, docs/translating.md): a subset of Debian's Noto Sans CJK SC
# with every character the catalogue, the code and the configurations use. tests/test_fonts.py says when to run it.
fonts: venv
	$(PY) -m pip install --quiet -e ".[fonts]"
	$(PY) -m simulation.font_subset

# Mutation testing (docs/mutation.md). MUTANT_SAMPLE=0.3 checks a seeded 30% of each module's mutants (generated
# first if need be; bench/mutants.py says so if that failed); MUTANTS="simulation.model.policy*" limits the run to
# some functions. Results stay in mutants/ (ignored by git): a second call checks only what is new or changed.
MUTANT_SAMPLE ?= 1
MUTANT_JOBS   ?= $(shell nproc)
MUTANTS       ?=
mutants: venv
	$(PY) -m pip install --quiet -e ".[mutation]"
	@if [ "$(MUTANT_SAMPLE)" = 1 ]; then \
	    $(VENV)/bin/mutmut run --max-children $(MUTANT_JOBS) $(MUTANTS); \
	else \
	    if ! ls mutants/simulation/model/*.meta >/dev/null 2>&1; then \
	        echo "generating the mutants (a run that matches no mutant: mutmut then stops with an assertion)"; \
	        $(VENV)/bin/mutmut run --max-children $(MUTANT_JOBS) "simulation.generate_only*" >/dev/null 2>&1 || true; \
	    fi; \
	    $(VENV)/bin/mutmut run --max-children $(MUTANT_JOBS) $$($(PY) bench/mutants.py sample $(MUTANT_SAMPLE)); \
	fi
	$(PY) bench/mutants.py table

clean-venv:
	rm -rf $(VENV)
