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


def test_the_chinese_names_are_the_essays_words():
    essays = ROOT.parent / "shared" / "sources" / "essays.txt"
    words = [stage_name(s, "zh") for s in ("dependence", "learning", "independence")]
    words += [role_name(r, "zh") for r in ("nurture", "assist", "supervise")]
    words += [configuration_name(c, "zh") for c in ("shanghai", "shenyang", "jianghan", "hangzhou", "workstation")]
    assert words[:6] == ["索取依赖", "学习进步", "成熟独立", "抚养培育", "辅助成长", "指导监督"]
    assert words[6:] == ["上海模式", "沈阳模式", "江汉模式", "杭州模式", "社区工作站模式"]
    if essays.exists():  # the source essays sit beside the project in its workplace, not in every clone
        text = essays.read_text(encoding="utf-8")
        assert all(word in text for word in words)


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

    from simulation.fonts import cjk_family

    if cjk_family() is None:
        pytest.skip("no CJK font (apt-get install fonts-noto-cjk; .ci/run installs it)")
    with warnings.catch_warnings():
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
    assert code == 2 and err.count("\n") == 1 and "fonts-noto-cjk" in err
