"""Configurations as data: every shipped file loads, and bad input gets a clear one-line error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulation import CommunityModel, ParameterError, ScenarioError, list_scenarios, load_scenario
from simulation.model import sources
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


def test_a_file_saved_with_a_byte_order_mark_loads_like_one_without(tmp_path):
    """Notepad and Excel start UTF-8 files with a BOM; tomllib used to stop at it: "Invalid statement" (issue 23)."""
    text = 'description = "a configuration written on Windows"\n[policy]\nfunding = 4.0\n'
    plain, marked = tmp_path / "plain.toml", tmp_path / "marked.toml"
    plain.write_text(text, encoding="utf-8")
    marked.write_text(text, encoding="utf-8-sig")
    assert marked.read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_scenario(marked).params == load_scenario(plain).params
    assert load_scenario(marked).description == "a configuration written on Windows"


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
# Chinese text with the punctuation, digits and ASCII commas the essays use inside a sentence.
CHINESE_RUN = re.compile(r"[\u4e00-\u9fff“”‘’、,:;()·《》0-9.%]*[\u4e00-\u9fff][\u4e00-\u9fff“”‘’、,:;()·《》0-9.%]*")
ESSAYS = Path(__file__).resolve().parents[2] / "shared" / "sources" / "essays.txt"


def settings_with_their_comments(path: Path) -> list[tuple[str, str]]:
    """Each ``key = value`` line inside a section, with the comment block above it (shared by a run of keys).

    The ``[assumptions]`` table is left out: its rows carry their reason in ``why``, which the loader requires.
    """
    found, comment, section = [], [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped:
            comment = []  # a blank line ends what a comment covers
        elif stripped.startswith("["):
            section, comment = stripped.strip("[]"), []
        elif stripped.startswith("#"):
            comment = (comment if comment and comment[-1] is not None else []) + [stripped.lstrip("# ")]
        elif section is not None and section != "assumptions":
            found.append((stripped.split("=")[0].strip(), " ".join(c for c in comment if c)))
            comment = comment + [None] if comment else []  # the same block covers the following keys
    return found


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_value_a_scenario_sets_quotes_an_essay_or_says_assumption(path):
    for key, comment in settings_with_their_comments(path):
        quoted = bool(CJK.search(comment)) and ('"' in comment or "“" in comment)
        assert quoted or "assumption" in comment.lower(), f"{path.name}: {key} has neither a passage nor 'assumption'"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_assumed_number_is_in_the_assumptions_table(path):
    """A number the essays do not give lives in ``[assumptions]`` with its range, where the robustness hypercube, the
    ODD's table and ``parameters --scenario`` read it; a number in a section is read from the essays or calibrated."""
    scenario = load_scenario(path)
    assert scenario.assumptions or path.stem == "karamay", path.name
    for key, comment in settings_with_their_comments(path):
        if FIELDS[key].type in ("float", "int"):
            assert "assumption" not in comment.lower(), f"{path.name}: {key} is assumed; move it to [assumptions]"
    for name, row in scenario.assumptions.items():
        assert row.low <= getattr(scenario.params, name) == row.value <= row.high and row.why, (path.name, name)
        assert row.low < row.high, f"{path.name}: {name} has no range to vary over"


@pytest.mark.skipif(not ESSAYS.exists(), reason="the essays are kept outside the repository (../shared/sources)")
def test_passages_quoted_in_scenario_files_are_verbatim():
    """Every run of Chinese in a scenario file, in a comment or in an assumption's ``why``, is the essays' own words
    (a quote may skip words with "..."; comment lines wrapped inside a quote are joined first)."""
    essays = re.sub(r"\s+", "", ESSAYS.read_text(encoding="utf-8"))
    for path in SCENARIO_FILES:
        text = re.sub(r"\n\s*#\s*", "", path.read_text(encoding="utf-8"))
        runs = CHINESE_RUN.findall(text)
        assert runs, path.name
        for run in runs:
            for part in re.split(r"\.\.\.|…", run):
                part = part.strip(",.:;()% ")
                if CJK.search(part):
                    assert part in essays, f"{path.name}: not in the essays: {part}"


@pytest.mark.parametrize(
    "row, message",
    [
        ('fundng = { value = 3.0, range = [1.0, 5.0], why = "x" }', "did you mean 'funding'"),
        ('funding = { value = 7.0, range = [1.0, 5.0], why = "x" }', "outside its plausible range"),
        ('funding = { value = 3.0, range = [-1.0, 5.0], why = "x" }', "out of range"),
        ('funding = { value = 3.0, range = [1.0], why = "x" }', r"range must be \[low, high\]"),
        ("funding = { value = 3.0, range = [1.0, 5.0] }", "missing 'why'"),
        ('funding = { value = 3.0, range = [1.0, 5.0], why = " " }', "why must be text"),
        ('funding = { value = 3.0, range = [1.0, 5.0], why = "x", source = "y" }', "unknown key 'source'"),
        ('mode = { value = 1.0, range = [0.0, 2.0], why = "x" }', "needs a number with a range"),
        ("funding = 3.0", "must be a table"),
    ],
)
def test_bad_assumption_rows_get_one_line_errors(tmp_path, row, message):
    path = tmp_path / "bad.toml"
    path.write_text(f'description = "x"\n[assumptions]\n{row}\n', encoding="utf-8")
    with pytest.raises((ScenarioError, ParameterError), match=message) as err:
        load_scenario(path)
    assert "bad.toml" in one_line(err.value)


def test_a_value_both_read_and_assumed_is_refused(tmp_path):
    path = tmp_path / "twice.toml"
    path.write_text('description = "x"\n[policy]\nfunding = 3.0\n[assumptions]\n'
                    'funding = { value = 3.0, range = [1.0, 5.0], why = "x" }\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(ScenarioError, match=r"also set in \[policy\]"):
        load_scenario(path)


def test_assumed_values_reach_the_model_and_overrides_still_win(tmp_path):
    path = tmp_path / "assumed.toml"
    path.write_text('description = "x"\n[assumptions]\nfunding = { value = 4.0, range = [3.0, 5.0], why = "x" }\n',
                    encoding="utf-8")  # fmt: skip
    scenario = load_scenario(path)
    assert scenario.params.funding == 4.0 and scenario.assumptions["funding"].low == 3.0
    assert load_scenario(path, funding=8.0).params.funding == 8.0


def test_the_odd_prints_the_files_sources_and_assumptions():
    """docs/ODD.md 8.1 is ``parameters --markdown``: what each file reads, assumes (with range, why) or calibrates."""
    odd = (Path(__file__).resolve().parent.parent / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert sources.BEGIN in odd and sources.END in odd
    printed = odd.split(sources.BEGIN)[1].split(sources.END)[0].strip()
    assert printed == sources.markdown(), "docs/ODD.md 8.1 is stale: paste 'python -m simulation parameters --markdown'"


def test_parameters_for_a_scenario_say_where_each_value_comes_from(capsys):
    from simulation.cli import main

    assert main(["parameters", "--scenario", "xinhua"]) == 0
    out = capsys.readouterr().out
    assert "funding" in out and "assumed, plausible 3-6" in out and "因为资金不足" in out
    assert "mode" in out and "read from the essays" in out
    assert main(["parameters", "--scenario", "karamay"]) == 0
    assert "calibrated" in capsys.readouterr().out
