"""Configurations as data: every shipped file loads, and bad input gets a clear one-line error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulation import CommunityModel, ParameterError, ScenarioError, list_scenarios, load_scenario
from simulation.model.parameters import FIELDS, Parameters, coerce

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
        ('description = "x"\n[policy]\nfunding = "lots"\n', "must be a finite number"),
        ("[policy]\nfunding = 3\n", "missing 'description'"),
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
        ({"review_interval": 2.5}, "must be a whole number"),
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


# --- every value a configuration sets says where it comes from (docs/ODD.md 8.1) -------------------------------
SCENARIO_FILES = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.toml"))
CJK = re.compile(r"[\u4e00-\u9fff]")
ESSAYS = Path(__file__).resolve().parents[2] / "shared" / "sources" / "essays.txt"


def settings_with_their_comments(path: Path) -> list[tuple[str, str]]:
    """Each ``key = value`` line inside a section, with the comment block above it (shared by a run of keys)."""
    found, comment, in_section = [], [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped:
            comment = []  # a blank line ends what a comment covers
        elif stripped.startswith("["):
            in_section, comment = True, []
        elif stripped.startswith("#"):
            comment = (comment if comment and comment[-1] is not None else []) + [stripped.lstrip("# ")]
        elif in_section:
            found.append((stripped.split("=")[0].strip(), " ".join(c for c in comment if c)))
            comment = comment + [None] if comment else []  # the same block covers the following keys
    return found


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_value_a_scenario_sets_quotes_an_essay_or_says_assumption(path):
    settings = settings_with_their_comments(path)
    assert settings, path.name
    for key, comment in settings:
        quoted = bool(CJK.search(comment)) and ('"' in comment or "“" in comment)
        assert quoted or "assumption" in comment, f"{path.name}: {key} has neither an essay passage nor 'assumption:'"


@pytest.mark.skipif(not ESSAYS.exists(), reason="the essays are kept outside the repository (../shared/sources)")
def test_passages_quoted_in_scenario_files_are_verbatim():
    essays = re.sub(r"\s+", "", ESSAYS.read_text(encoding="utf-8"))
    for path in SCENARIO_FILES:
        text = re.sub(r"\n\s*#\s*", "", path.read_text(encoding="utf-8"))  # join wrapped comment lines
        for quote in re.findall(r'"([^"\n]*)"', text):
            if CJK.search(quote):
                for part in re.split(r"\.\.\.|…", re.sub(r"\s+", "", quote)):
                    assert part in essays, f"{path.name}: not in the essays: {part}"
