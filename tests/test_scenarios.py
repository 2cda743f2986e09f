"""Configurations as data: every shipped file loads, and bad input gets a clear one-line error."""

from __future__ import annotations

import pytest

from simulation import CommunityModel, ParameterError, ScenarioError, list_scenarios, load_scenario
from simulation.parameters import FIELDS, Parameters, coerce

REQUIRED = ("shanghai", "shenyang", "jianghan", "hangzhou", "workstation", "guardian", "early_withdrawal", "karamay")


def test_all_required_configurations_ship_and_describe_themselves():
    assert set(REQUIRED) <= set(list_scenarios())
    for name in list_scenarios():
        scenario = load_scenario(name)
        assert scenario.description and "\n" not in scenario.description
        assert isinstance(scenario.params, Parameters)


def test_early_withdrawal_is_the_guardian_community_with_withdrawal():
    guardian, withdrawn = load_scenario("guardian").params, load_scenario("early_withdrawal").params
    assert withdrawn == guardian.replace(withdraw_at_step=0)


def test_every_parameter_is_documented_with_unit_and_range():
    for name, f in FIELDS.items():
        meta = f.metadata
        assert meta["unit"] and meta["meaning"], name
        assert meta["choices"] or (meta["low"] is not None and meta["high"] is not None), name
        coerce(name, getattr(Parameters(), name))  # every default is valid


def one_line(err: Exception) -> str:
    text = str(err)
    assert "\n" not in text
    return text


def test_unknown_scenario_names_the_valid_ones():
    with pytest.raises(ScenarioError) as err:
        load_scenario("shangai")
    assert "shanghai" in one_line(err.value) and "guardian" in str(err.value)


def test_malformed_toml_is_reported(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('description = "x"\n[policy\nfunding = 3\n')
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(path)


@pytest.mark.parametrize(
    "content, message",
    [
        ('description = "x"\n[policy]\nfundng = 3\n', "did you mean 'funding'"),
        ('description = "x"\n[policy]\nn_residents = 3\n', "unknown parameter 'n_residents' in section \\[policy\\]"),
        ('description = "x"\n[politics]\nfunding = 3\n', "unknown key or section 'politics'"),
        ('description = "x"\n[policy]\nfunding = -1\n', "out of range"),
        ('description = "x"\n[policy]\nmode = "bossy"\n', "directive, supportive, supervisory"),
        ('description = "x"\n[policy]\nfunding = "lots"\n', "must be a number"),
        ('[policy]\nfunding = 3\n', "missing 'description'"),
        ('description = "x"\n[community]\nshare_elderly = 0.7\nshare_young = 0.5\n', "exceeds 1"),
    ],
)
def test_bad_scenario_files_get_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario(path)
    one_line(err.value)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"admin_load": 1.5}, "out of range"),
        ({"review_interval": 2.5}, "must be an integer"),
        ({"n_residents": 0}, "out of range"),
        ({"fundin": 2.0}, "did you mean 'funding'"),
    ],
)
def test_bad_overrides_are_rejected_before_a_model_is_built(overrides, message):
    with pytest.raises((ParameterError, ScenarioError), match=message):
        CommunityModel(scenario="guardian", **overrides)


def test_string_values_from_the_command_line_are_converted():
    assert coerce("funding", "3.5") == 3.5
    assert coerce("review_interval", "6") == 6
    assert coerce("mode", "directive") == "directive"
