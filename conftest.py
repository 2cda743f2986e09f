"""Test-session settings shared by the tests and the notebooks run through nbmake."""

import os

import pytest

# Notebooks run top to bottom in the test suite on their small setting (the same code as the full one);
# set NOTEBOOK_QUICK=0 to run them at full size.
os.environ.setdefault("NOTEBOOK_QUICK", "1")


def pytest_collection_finish(session) -> None:
    """Set aside notebook results made with other code or configurations, so the notebooks compute afresh.

    Only in a session that runs the notebooks: a session of other tests leaves their results alone (a publication
    may be writing them).

    The notebooks keep their sweeps and calibration in notebooks/figures/<setting>/ and resume them on the
    next run; after an edit of the model the library would refuse to resume them (it would mix two models in
    one dataset). :func:`notebooks.publish.set_aside_stale` moves those of this session's setting to
    notebooks/figures/.stale/ (the step that publishing the notebooks takes first), never mixed and never
    silently reused.
    """
    if not any(item.path.suffix == ".ipynb" or item.path.name == "test_notebooks.py" for item in session.items):
        return
    from notebooks.publish import set_aside_stale

    setting = "quick" if os.environ["NOTEBOOK_QUICK"] == "1" else "full"
    for line in set_aside_stale(setting):  # this setting's only: a publication may be writing the other's
        print(f"\n{line}")


# --- lanes: `make test-fast` runs the fast lane, `make test` everything ----------------------------------------------
# The fast lane is the model's equations and mechanisms, validation, the command line's parsing and small runs, and the
# package's layout: under two minutes on 2 cores (about 400 tests). Every other module is marked `slow`, and those
# that drive the whole program from outside (a browser, a subprocess per command, an installed wheel, the notebooks)
# also `e2e`. A new test module is slow until it is named here, so the fast lane stays fast.
FAST_MODULES = frozenset({
    "test_accounts", "test_atomic", "test_cli", "test_designs", "test_determinism", "test_equations", "test_founding",
    "test_layout", "test_levers", "test_measures", "test_mechanisms", "test_model", "test_network",
    "test_organisations", "test_problems", "test_scenarios", "test_validation",
})  # fmt: skip
END_TO_END_MODULES = frozenset({"test_browser", "test_commands", "test_install", "test_notebooks"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: outside the fast lane (make test-fast leaves it out)")
    config.addinivalue_line("markers", "e2e: drives the program from outside: browser, subprocesses, wheel, notebook")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test outside the fast lane ``slow`` (and ``e2e`` where it drives the program from outside)."""
    for item in items:
        module = item.path.stem
        if item.path.suffix == ".ipynb" or module in END_TO_END_MODULES:
            item.add_marker(pytest.mark.e2e)
        if module not in FAST_MODULES:
            item.add_marker(pytest.mark.slow)
