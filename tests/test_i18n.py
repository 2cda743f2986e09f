"""Two languages: the catalogue is complete and current, names follow the essays, and the CLI speaks Chinese.

The catalogue test extracts the messages afresh (Babel, with babel.cfg, as ``make messages`` does) and
compares them with the Chinese .po: every message translated, none fuzzy, none left over from code that is
gone, and the same ``{placeholders}`` on both sides.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from simulation import i18n
from simulation.cli import main
from simulation.names import column_name, configuration_name, role_name, stage_name
from tests.test_faults import BASE_SPEC

ROOT = Path(__file__).resolve().parent.parent


def _extracted() -> set[str]:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "N_": None, "gettext": None}
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords)
    return {message for _file, _line, message, *_rest in found}


@pytest.fixture(scope="module")
def catalogue():
    with i18n.catalogue_path("zh").open("rb") as po:
        return read_po(po, locale="zh")


def test_every_message_is_translated_and_none_is_stale(catalogue):
    extracted = _extracted()
    entries = {m.id: m for m in catalogue if m.id}
    assert not extracted - set(entries), f"not in the catalogue (run make messages): {sorted(extracted - set(entries))}"
    assert not set(entries) - extracted, f"stale entries: {sorted(set(entries) - extracted)}"
    untranslated = [m.id for m in entries.values() if not m.string or "fuzzy" in m.flags]
    assert not untranslated, f"untranslated or fuzzy: {untranslated}"


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_translations_keep_the_placeholders(catalogue):
    for message in catalogue:
        if message.id:
            assert _fields(message.id) == _fields(message.string), message.id


ESSAYS = ROOT.parent / "shared" / "sources" / "essays.txt"  # beside the project in its workplace, not in every clone


def _chinese_names() -> list[str]:
    words = [stage_name(s, "zh") for s in ("dependence", "learning", "independence")]
    words += [role_name(r, "zh") for r in ("nurture", "assist", "supervise")]
    configurations = ("shanghai", "shenyang", "jianghan", "hangzhou", "workstation")
    return words + [configuration_name(c, "zh") for c in configurations]


def test_the_chinese_names_are_the_essays_words_as_docs_odd_quotes_them():
    """Checked in every clone: the names, and the passages of essay 1 that docs/ODD.md quotes verbatim."""
    words = _chinese_names()
    assert words[:6] == ["索取依赖", "学习进步", "成熟独立", "抚养培育", "辅助成长", "指导监督"]
    assert words[6:] == ["上海模式", "沈阳模式", "江汉模式", "杭州模式", "社区工作站模式"]
    odd = " ".join((ROOT / "docs" / "ODD.md").read_text(encoding="utf-8").split())  # quotes may wrap a line
    assert "“" + "-".join(words[3:6]) + "”三个时期" in odd and '"' + "-".join(words[:3]) + '"' in odd  # section 1
    assert all(f"“{word}”" in odd for word in words[6:10])  # essay 1's four models, as 8.1 quotes them


def test_the_chinese_names_are_words_of_the_essays_themselves():
    if not ESSAYS.exists():
        pytest.skip(f"the source essays are not beside this clone ({ESSAYS}); their words are checked against "
                    "docs/ODD.md's quotations instead")  # fmt: skip
    text = ESSAYS.read_text(encoding="utf-8")
    assert [word for word in _chinese_names() if word not in text] == []


def test_english_is_the_source_and_identifiers_stay_english():
    assert stage_name("learning", "en") == "learning" and configuration_name("hangzhou", "en") == "hangzhou"
    assert column_name("trust_in_strangers", "zh") == "对陌生人的信任"
    assert column_name("not_a_column", "zh") == "not_a_column"


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "en_GB.UTF-8"}, "en"), ({"LANG": "fr_FR.UTF-8"}, "en"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"), ({}, "en"), ({"LANGUAGE": "zh_CN:en"}, "zh"),
])  # fmt: skip
def test_the_default_language_follows_the_locale(environ, expected):
    assert i18n.language_from_locale(environ) == expected


def test_run_prints_its_summary_in_chinese(capsys):
    assert main(["run", "--scenario", "hangzhou", "--steps", "24", "--residents", "200", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "杭州模式：多种机制综合运用" in out and "最终阶段" in out and "社区自治指数（期末）" in out
    assert re.search("首次进入(索取依赖|学习进步|成熟独立)", out)


def test_run_in_english_is_unchanged(capsys):
    assert main(["run", "--scenario", "hangzhou", "--steps", "24", "--residents", "200", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("hangzhou: Hangzhou: combined mechanisms\n")
    assert "\nfinal stage          " in out and "\nfirst dependence     month 0 (year 0.0)" in out
    assert "\nself-governance index (final)          " in out


def test_a_language_it_does_not_speak_is_one_line_and_exit_2(capsys):
    assert main(["run", "--scenario", "hangzhou", "--lang", "fr"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "'fr'" in err and "en, zh" in err


def test_compare_writes_a_chinese_figure_with_real_glyphs(tmp_path, capsys):
    import warnings

    with warnings.catch_warnings():  # the package ships its Chinese font (tests/test_fonts.py): never skipped
        warnings.simplefilter("error")  # a missing glyph is a warning from matplotlib: fail on it
        code = main(["compare", "--scenarios", "shanghai,hangzhou", "--seeds", "1", "--steps", "12", "--residents",
                     "200", "--workers", "1", "--out", str(tmp_path), "--lang", "zh"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "上海模式 (shanghai)" in out and "期末指数" in out
    assert (tmp_path / "comparison.png").stat().st_size > 0


def test_without_a_chinese_font_compare_says_so_in_one_line(monkeypatch, tmp_path, capsys):
    from simulation import fonts

    monkeypatch.setattr(fonts, "can_draw", lambda lang: lang != "zh")
    code = main(["compare", "--scenarios", "hangzhou", "--seeds", "1", "--steps", "12", "--out", str(tmp_path),
                 "--lang", "zh"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and str(fonts.FONT_PATH) in err


# --- the research commands: experiment, sensitivity, discover, calibrate, parameters ------------------------------

TINY_SWEEP = (
    'description = "tiny"\nscenarios = ["guardian"]\nseeds = 1\nsteps = 24\nseed = 1\n'
    "[fixed]\nn_residents = 150\n[vary]\nfunding = { low = 1.0, high = 12.0 }\n"
    "admin_load = { low = 0.0, high = 1.0 }\n"
)
TINY_CALIBRATION = BASE_SPEC  # the smallest calibration the fault tests use


@pytest.fixture
def chinese_figures():
    """Chinese figures can be drawn here, and a missing glyph (matplotlib's warning) fails the test."""
    import warnings

    with warnings.catch_warnings():  # the package ships its Chinese font (tests/test_fonts.py): never skipped
        warnings.filterwarnings("error", message="Glyph .* missing")
        yield


def _has_chinese(text: str) -> bool:
    return re.search("[\u4e00-\u9fff]", text) is not None


def test_parameters_lists_every_meaning_in_chinese(capsys):
    from simulation.model.parameters import FIELDS
    from simulation.names import parameter_text

    assert main(["parameters", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "[community] 社区" in out and "居民数（单位：居民）" in out and "n_residents" in out
    untranslated = [f.metadata["meaning"] for f in FIELDS.values()
                    if not _has_chinese(parameter_text(f.metadata["meaning"], "zh"))]  # fmt: skip
    assert not untranslated
    assert main(["parameters", "--lang", "en"]) == 0
    assert "number of residents (residents)" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "words"), [
    ("withdrawal-timing", ["放手年份", "期末指数"]),
    ("configurations", ["治理模式", "监护人模式"]),
    ("shock", ["信任下降", "第 1 年发生冲突"]),
])  # fmt: skip
def test_experiments_print_and_draw_in_chinese(tmp_path, capsys, chinese_figures, name, words):
    code = main(["experiment", name, "--seeds", "1", "--residents", "100", "--steps", "24", "--shock-year", "1",
                 "--executor", "inline", "--no-progress", "--out", str(tmp_path), "--lang", "zh"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert all(word in out for word in words), out
    written = [tmp_path / f"{name}.csv", *sorted(tmp_path.glob("*.png"))]
    assert out.splitlines()[-1].startswith(f"已写入 {written[0]}, ")  # the last line, in Chinese
    assert all(str(path) in out.splitlines()[-1] for path in written) and "wrote" not in out
    pngs = list(tmp_path.glob("*.png"))
    assert pngs and all(png.stat().st_size > 0 for png in pngs)
    csv = (tmp_path / f"{name}.csv").read_text().splitlines()[0]
    assert not _has_chinese(csv)  # the data keeps its identifiers


def test_sensitivity_and_discover_in_chinese(tmp_path, capsys, chinese_figures):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY_SWEEP)
    out = tmp_path / "morris"
    code = main(["sensitivity", str(spec), "--method", "morris", "--samples", "3", "--executor", "inline",
                 "--no-progress", "--outputs", "final_index", "--out", str(out), "--lang", "zh"])  # fmt: skip
    stdout = capsys.readouterr().out
    assert code == 0 and "参数" in stdout and "期末指数" in stdout and "mu_star" in stdout
    assert (out / "morris_indices.png").stat().st_size > 0
    assert "output" in (out / "morris_indices.csv").read_text().splitlines()[0]
    code = main(["discover", str(out / "sweep"), "--outcome", "first_learning", "--method", "tree", "--lang", "zh"])
    stdout = capsys.readouterr().out
    assert code == 0 and "次运行" in stdout and "学习进步" in stdout
    found = out / "sweep" / "discovery"
    assert _has_chinese((found / "discovery.txt").read_text(encoding="utf-8"))
    assert (found / "discovery.png").stat().st_size > 0


def test_calibrate_in_chinese(tmp_path, capsys, chinese_figures):
    spec = tmp_path / "spec.toml"
    spec.write_text(TINY_CALIBRATION)
    code = main(["calibrate", str(spec), "--out", str(tmp_path / "cal"), "--executor", "inline", "--lang", "zh"])
    captured = capsys.readouterr()
    assert code == 0 and "沈阳模式 (shenyang)经过 2 代后的后验分布" in captured.out and "90% 区间" in captured.out
    assert "正在校准沈阳模式" in captured.err
    assert (tmp_path / "cal" / "diagnostics.png").stat().st_size > 0


def test_a_discovery_reads_the_same_in_english_and_in_chinese_words():
    import numpy as np
    import pandas as pd

    from simulation.experiments.discovery import describe, discover

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"funding": rng.uniform(0, 10, 200), "admin_load": rng.uniform(0, 1, 200)})
    found = discover(X, (X["funding"] > 6).to_numpy(), method="tree")
    assert describe(found, "en") == found.summary  # one source of the words
    chinese = describe(found, "zh")
    assert "全部 200 次运行" in chinese and "funding" in chinese


@pytest.mark.parametrize("command", [
    ["parameters"], ["experiment", "shock"], ["sensitivity", "sweeps/smoke.toml", "--method", "morris"],
    ["discover", "nowhere"], ["calibrate", "calibration/karamay.toml"],
])  # fmt: skip
def test_the_research_commands_refuse_a_language_in_one_line(capsys, command):
    assert main([*command, "--lang", "fr"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "'fr'" in err and "en, zh" in err


@pytest.mark.parametrize("command", [
    ["experiment", "shock", "--shock-year", "1", "--steps", "24"], ["calibrate", "calibration/karamay.toml"],
])  # fmt: skip
def test_without_a_chinese_font_the_research_commands_say_so_in_one_line(monkeypatch, tmp_path, capsys, command):
    from simulation import fonts

    monkeypatch.setattr(fonts, "can_draw", lambda lang: lang != "zh")
    monkeypatch.chdir(ROOT)
    assert main([*command, "--out", str(tmp_path / "out"), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(fonts.FONT_PATH) in err
    assert not (tmp_path / "out" / "sweep").exists()


def test_the_robustness_figures_and_words_in_chinese(tmp_path, chinese_figures):
    """The robustness experiment's figures and summary in Chinese, from hand-made results (no runs)."""
    import pandas as pd

    from simulation.experiments import budget, robustness
    from simulation.experiments.patterns import PATTERNS

    holds = pd.DataFrame({"point": range(4), "replicate": 0, **{p.key: [True, True, False, True] for p in PATTERNS}})
    shares = robustness.pattern_shares(holds)
    robustness.plot_shares(shares, tmp_path / "shares.png", "zh")
    rows = [{"configuration": f"{name}@{scale:g}", "point": 0, "replicate": 0, "status": "ok",
             "total_public_cost": 1000.0 * scale * (i + 1), "final_index": 0.1 * (i + 1)}
            for i, name in enumerate(("guardian", "shanghai")) for scale in (0.5, 1.0, 2.0)]  # fmt: skip
    summary = pd.DataFrame(rows)
    table = budget.budget_table(budget.at_common_budget(summary))
    budget.plot_budget(summary, table, tmp_path / "budget.png", "zh")
    rank = pd.DataFrame({o: [1.0, 0.5] for o in robustness.SCREEN_OUTPUTS}, index=["funding", "weight_peer"])
    rank["influence"], rank["above_noise"] = 1.0, 1
    floor = pd.Series({o: 0.1 for o in robustness.SCREEN_OUTPUTS})
    robustness.plot_screening(rank, floor, tmp_path / "screening.png", lang="zh")
    yardsticks = pd.DataFrame({"yardstick": ["community", "legacy"], "conclusion": ["P1", "P1"], "holds": [2, 0],
                               "of": [5, 5], "note": ["", ""]})  # fmt: skip
    text = robustness.describe(rank, shares, {"P1": "…"}, table, yardsticks, robustness.Settings.quick(), "zh")
    assert "监护人模式依次经历索取依赖、学习进步、成熟独立" in text and "上海模式" in text
    assert all((tmp_path / name).stat().st_size > 0 for name in ("shares.png", "budget.png", "screening.png"))
