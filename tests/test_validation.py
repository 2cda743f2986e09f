"""The one checking layer (simulation.validation) and one bad input per format going through it.

Every bad input, whatever file or option it comes from, is a ValidationError: one line naming the problem
and the valid choices (with a did-you-mean), and exit code 2 on the command line, before anything runs.
"""

import dataclasses

import pytest

from simulation.cli import main
from simulation.experiments.calibration import CalibrationError, load_calibration
from simulation.experiments.sweep_spec import SweepError, load_sweep
from simulation.model.parameters import FIELDS, ParameterError, coerce, rule
from simulation.model.scenarios import ScenarioError, load_scenario
from simulation.validation import (
    EXIT_CODE,
    Rule,
    ValidationError,
    check,
    check_keys,
    read_toml,
    reported_as,
    require,
    unknown,
)

# --- the layer -----------------------------------------------------------------------------------


def test_a_validation_error_is_one_line_and_means_exit_2():
    err = ValidationError("bad.toml: not valid TOML:\n  Expected '=' (at line 2)\n")
    assert str(err) == "bad.toml: not valid TOML: Expected '=' (at line 2)"
    assert err.exit_code == EXIT_CODE == 2
    assert isinstance(err, ValueError)  # callers that catch ValueError keep working


@pytest.mark.parametrize("error", [ParameterError, ScenarioError, SweepError, CalibrationError])
def test_every_format_reports_through_the_one_error_type(error):
    assert issubclass(error, ValidationError)


def test_unknown_names_a_close_match_and_the_valid_choices():
    assert unknown("key", "sed", ["seed", "seeds", "steps"]) == (
        "unknown key 'sed' (did you mean 'seed'?); valid: seed, seeds, steps"
    )
    assert unknown("key", "zzz", ["a", "b"], "in [output]") == "unknown key 'zzz' in [output]; valid: a, b"
    many = [f"name_{i}" for i in range(50)]
    assert unknown("parameter", "name_7x", many, see="'list'").endswith("(did you mean 'name_7'?); valid: see 'list'")
    assert unknown("section", "polcy", ["policy"], shown=["[policy]"]).endswith("valid: [policy]")


def test_check_keys_rejects_the_first_unknown_key():
    check_keys({"seed": 1}, ["seed", "steps"])
    with pytest.raises(ValidationError, match=r"unknown key 'stpes' \(did you mean 'steps'\?\); valid: seed, steps"):
        check_keys({"seed": 1, "stpes": 2}, ["seed", "steps"])


def test_require_says_what_a_missing_key_is_for():
    with pytest.raises(ValidationError, match=r"^spec is missing 'steps' \(months\)$"):
        require({}, ["steps"], "spec", {"steps": "months"})


@pytest.mark.parametrize(
    "value, rule_, lenient, expected",
    [
        (3, Rule("int", low=1), False, 3),
        ("3", Rule("int", low=1, high=9), True, 3),
        (3.0, Rule("int", low=1, high=9), True, 3),
        (2, Rule("float", low=0, high=5), False, 2.0),
        ("a", Rule("choice", choices=("a", "b")), False, "a"),
        (True, Rule("bool"), False, True),
        ("", Rule("text"), False, ""),
        ({"x": 1}, Rule("table", low=1), False, {"x": 1}),
        ([1], Rule("list"), False, [1]),
    ],
)
def test_check_returns_a_good_value_as_its_kind(value, rule_, lenient, expected):
    got = check(value, rule_, "'x'", lenient)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    "value, rule_, lenient, message",
    [
        (0, Rule("int", low=1), False, "'x' must be a whole number, at least 1, got 0"),
        ("3", Rule("int", low=1), False, "'x' must be a whole number, at least 1, got '3'"),  # TOML types are kept
        (3.0, Rule("int", low=1), False, "'x' must be a whole number, at least 1, got 3.0"),
        (True, Rule("int", low=1), False, "'x' must be a whole number, at least 1, got True"),
        (2.5, Rule("int", low=0, high=9), True, "'x' must be a whole number, got 2.5"),
        ("lots", Rule("float", low=0, high=1), True, "'x' must be a finite number, got 'lots'"),
        (float("nan"), Rule("float", low=0, high=1), False, "'x' must be a finite number, got nan"),
        (2, Rule("float", low=0, high=1, unit="share", meaning="a part"), False,
         "'x' = 2.0 is out of range [0, 1] (share: a part)"),
        ("housng", Rule("choice", choices=("housing", "none")), False,
         "'x' must be one of housing, none, got 'housng' (did you mean 'housing'?)"),
        ("yes", Rule("bool"), False, "'x' must be true or false, got 'yes'"),
        ("  ", Rule("name", meaning="a class"), False, "'x' must be text (a class), got '  '"),
        ({}, Rule("table", low=1, meaning="a = 1"), False,
         "'x' must be a table with at least one entry (a = 1), got {}"),
        ("a", Rule("list"), False, "'x' must be a list, got 'a'"),
    ],
)  # fmt: skip
def test_check_words_every_bad_value_on_one_line(value, rule_, lenient, message):
    with pytest.raises(ValidationError) as err:
        check(value, rule_, "'x'", lenient)
    assert str(err.value) == message


def test_a_parameters_rule_is_read_off_the_parameter_table():
    """The table stays the one definition: every rule's bounds, choices and unit are the table's own."""
    for name, f in FIELDS.items():
        r, meta = rule(name), f.metadata
        assert (r.low, r.high, r.unit, r.meaning) == (meta["low"], meta["high"], meta["unit"], meta["meaning"])
        assert r.kind == ("choice" if meta["choices"] else f.type)
        assert coerce(name, f.default) == f.default


def test_reported_as_turns_the_layers_errors_into_the_formats_own_with_its_file():
    with pytest.raises(SweepError, match=r"^s.toml: unknown key 'x'; valid: a$"):
        with reported_as(SweepError, "s.toml"):
            check_keys({"x": 1}, ["a"])
    with pytest.raises(ValueError, match="not ours"):  # anything else passes through untouched
        with reported_as(SweepError, "s.toml"):
            raise ValueError("not ours")


def test_read_toml_reports_a_missing_a_malformed_and_a_binary_file(tmp_path):
    with pytest.raises(ValidationError, match=r"^spec not found: .*nothing.toml; try a.toml$"):
        read_toml(tmp_path / "nothing.toml", "spec", "; try a.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("a = [1,\n")
    with pytest.raises(ValidationError, match=r"^spec .*bad.toml: not valid TOML: "):
        read_toml(bad, "spec")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValidationError, match="not UTF-8 text"):
        read_toml(binary, "spec")
    good = tmp_path / "good.toml"
    good.write_text("a = 1\n")
    assert read_toml(good, "spec") == ("a = 1\n", {"a": 1})


# --- one bad input per format, through the layer ----------------------------------------------------


def test_a_scenario_file_with_a_typo_is_caught_by_the_layer(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('description = "x"\n[polcy]\nfunding = 3\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == (
        "mine.toml: unknown key or section 'polcy' (did you mean 'policy'?); valid: title, description, "
        "[community], [residents], [committee], [organisations], [problems], [policy], [supervision], [index], "
        "[shock], [assumptions]"
    )


def test_a_sweep_file_with_a_bad_range_is_caught_by_the_layer():
    spec = {"steps": 2, "seeds": 1, "output": {"series": "yes"}}
    with pytest.raises(SweepError, match=r"^sweep: \[output\] series must be true or false, got 'yes'$"):
        load_sweep(spec)


def test_a_calibration_spec_with_a_typo_is_caught_by_the_layer():
    spec = {"scenario": "karamay", "parameters": {"funding": [1.0, 2.0]}, "targets": {"mean_trust": 0.5},
            "populaton_size": 10}  # fmt: skip
    with pytest.raises(CalibrationError, match=r"^unknown key 'populaton_size' in calibration spec \(did you mean "
                       r"'population_size'\?\); valid: description, scenario,"):  # fmt: skip
        load_calibration(spec)


def test_a_bad_command_line_value_is_caught_by_the_layer(capsys):
    assert main(["run", "--scenario", "shangai", "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown scenario 'shangai' (did you mean 'shanghai'?); valid: ")
    assert len(err.splitlines()) == 1
    assert main(["run", "--scenario", "shanghai", "--set", "n_residents=2.5"]) == 2
    assert capsys.readouterr().err == "error: parameter 'n_residents' must be a whole number, got '2.5'\n"


def test_rules_are_plain_data():
    """A rule is a row, like the parameter table's: frozen, comparable, printable."""
    assert dataclasses.is_dataclass(Rule) and Rule("int", low=1) == Rule("int", low=1)
