"""The Chinese font shipped with the package: it covers every text, draws without any system font, is rebuilt
byte for byte by ``make fonts``, and a broken copy is one line naming the file.

When a test here fails because a character is missing, run ``make fonts`` (docs/translating.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont

from simulation import font_subset, fonts

ROOT = Path(__file__).resolve().parent.parent
FIX = "run `make fonts` (docs/translating.md)"
EMPTY_FONTCONFIG = '<?xml version="1.0"?>\n<fontconfig></fontconfig>\n'  # no font folder: fc-list lists nothing


def _characters(path: Path) -> set[str]:
    return {chr(code) for code in TTFont(str(path)).getBestCmap()}


def _translations() -> str:
    """Every msgstr of the Chinese catalogue, read here without the build's own reader."""
    with font_subset.CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    texts = [m.string if isinstance(m.string, tuple | list) else (m.string,) for m in catalogue if m.id]
    return "".join(text for group in texts for text in group if text)


def test_the_font_has_every_character_of_the_chinese_catalogue():
    translations = _translations()
    assert len(set(translations)) > 500  # the catalogue was read
    missing = "".join(sorted(set(translations) - _characters(fonts.FONT_PATH) - {"\n"}))
    assert not missing, f"the shipped font lacks {missing!r}: {FIX}"


def test_the_font_has_every_chinese_character_of_the_code_the_configurations_and_the_prose():
    """The lessons' quotes, the display names, the dashboard's texts and prose, and the configuration files' texts."""
    shown = font_subset.shown_text()
    chinese = {char for char in shown if font_subset.is_chinese(char)}
    assert {"监", "护", "人", "中", "文"} <= chinese  # the sources were read ("监护人" in a lesson's quote)
    assert "阶段理论" in font_subset.prose_text()  # the dashboard's prose was read (the Theory tab, in Chinese)
    missing = "".join(sorted(chinese - _characters(fonts.FONT_PATH)))
    assert not missing, f"the shipped font lacks {missing!r}: {FIX}"


def test_the_font_has_ascii_and_the_common_chinese_punctuation():
    missing = "".join(sorted(set(font_subset.ASCII + font_subset.PUNCTUATION) - _characters(fonts.FONT_PATH)))
    assert not missing, f"the shipped font lacks {missing!r}: {FIX}"


def test_the_web_font_is_the_same_font_with_its_own_name_and_licence():
    assert _characters(fonts.web_font_path()) == _characters(fonts.FONT_PATH)
    for path in (fonts.FONT_PATH, fonts.web_font_path()):
        names = TTFont(str(path))["name"]
        assert names.getDebugName(1) == fonts.FAMILY and names.getDebugName(6) == fonts.POSTSCRIPT_NAME
    assert fonts.web_font_path().suffix == ".woff2" and TTFont(str(fonts.web_font_path())).flavor == "woff2"
    licence = (fonts.FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Adobe" in licence
    sizes = [path.stat().st_size for path in (fonts.FONT_PATH, fonts.web_font_path())]
    assert max(sizes) < 400_000  # a subset, not the 16 MB face


# The child hides every font that can draw Chinese from matplotlib, as on a machine without a CJK font, and
# checks that it did: a Chinese text then draws empty boxes (matplotlib's "Glyph ... missing" warning). Only
# then does it enable the package's font, and draw the comparison figure in Chinese (every configuration's
# name) and every character of the catalogue, with any warning an error. Fontconfig is pointed at an empty
# configuration too, so nothing is found through fc-list; matplotlib still scans /usr/share/fonts itself,
# which is what the filter removes.
CHILD = r"""
import json, sys, warnings
from pathlib import Path

import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

def draws_chinese(entry):
    try:
        return font_manager.get_font(entry.fname).get_char_index(ord("中")) != 0
    except (OSError, RuntimeError):
        return False

hidden = sorted({e.name for e in font_manager.fontManager.ttflist if draws_chinese(e)})
font_manager.fontManager.ttflist = [e for e in font_manager.fontManager.ttflist if not draws_chinese(e)]

def text_figure(text):
    fig = Figure(figsize=(12, 8))
    FigureCanvasAgg(fig)
    lines = [text[i:i + 60] for i in range(0, len(text), 60)]
    for row, line in enumerate(lines):
        fig.text(0.01, 0.98 - row * 0.9 / len(lines), line, fontsize=8, va="top", parse_math=False)
    return fig

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    text_figure("中文").savefig(Path(sys.argv[1]) / "boxes.png")
boxes = any("missing from font" in str(w.message) for w in caught)

from simulation import font_subset, fonts
from simulation.experiments.plots import plot_comparison
from simulation.model.scenarios import list_scenarios

fonts.enable_chinese()
drawers = sorted(e.fname for e in font_manager.fontManager.ttflist if draws_chinese(e))
names = list_scenarios()
runs = pd.DataFrame([
    {"configuration": name, "replicate": seed, "step": step, "stage": "independence" if step > 12 else "learning",
     "self_governance_index": step / 30}
    for name in names for seed in (0, 1) for step in range(0, 25, 6)
])
catalogue = "".join(sorted(set(font_subset.catalogue_text()) - {"\n"}))
with warnings.catch_warnings():
    warnings.simplefilter("error")  # "Glyph ... missing" (or "findfont: ... not found") fails the child
    figure = plot_comparison(runs, path=Path(sys.argv[1]) / "comparison.png", lang="zh")
    text_figure(catalogue).savefig(Path(sys.argv[1]) / "catalogue.png")
drawn = "".join(t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text")))
print(json.dumps({"hidden": hidden, "boxes": boxes, "drawers": drawers, "drawn": drawn, "count": len(catalogue)}))
"""


def test_chinese_figures_draw_with_the_shipped_font_alone(tmp_path):
    (tmp_path / "fonts.conf").write_text(EMPTY_FONTCONFIG)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),  # a fresh font list: nothing registered by an earlier run
        "MPLBACKEND": "Agg",
        "FONTCONFIG_FILE": str(tmp_path / "fonts.conf"),
    }
    child = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["boxes"], f"a system font still drew Chinese (hidden: {report['hidden']})"
    assert report["drawers"] == [str(fonts.FONT_PATH)]  # the only font matplotlib has that draws Chinese
    assert "上海模式" in report["drawn"] and "自治指数" in report["drawn"]  # the figure really is Chinese
    assert report["count"] > 500
    assert (tmp_path / "comparison.png").stat().st_size > 10_000


def test_the_build_is_deterministic_and_reproduces_the_shipped_font(tmp_path):
    """Rebuilt here, the font is the shipped one byte for byte (the shipped one was built by another process).

    Bytes depend on the source and on the fontTools and brotli releases, which the font records in its unique
    ID: with other releases, the same characters are all this can expect.
    """
    try:
        source = font_subset.find_source()
    except font_subset.BuildError as error:
        pytest.skip(f"cannot rebuild the font here: {error}")
    assert font_subset.main(["--source", str(source), "--out", str(tmp_path)]) == 0
    rebuilt = tmp_path / fonts.FONT_PATH.name
    if TTFont(str(fonts.FONT_PATH))["name"].getDebugName(3) != font_subset.signature(source):
        assert _characters(rebuilt) == _characters(fonts.FONT_PATH), FIX
        pytest.skip("built with another source or other fontTools/brotli releases: compared the characters only")
    for shipped in (fonts.FONT_PATH, fonts.web_font_path()):
        assert (tmp_path / shipped.name).read_bytes() == shipped.read_bytes(), f"{shipped} is out of date: {FIX}"


def test_without_the_source_font_the_build_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(font_subset, "SOURCE", tmp_path / "absent.ttc")
    (tmp_path / "fonts.conf").write_text(EMPTY_FONTCONFIG)
    monkeypatch.setenv("FONTCONFIG_FILE", str(tmp_path / "fonts.conf"))  # fc-list finds nothing either
    assert font_subset.main(["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "absent.ttc" in err and "fonts-noto-cjk" in err
    (tmp_path / "not-a-font.ttc").write_bytes(b"not a font")
    assert font_subset.main(["--source", str(tmp_path / "not-a-font.ttc"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not-a-font.ttc" in err
    assert not list(tmp_path.glob("NotoSansSC-subset.*"))  # nothing written


@pytest.fixture
def fresh_registration():
    """Forget the process's registration of the shipped font before and after (the caches would hide a fault)."""
    fonts._registered.cache_clear()
    fonts.enable_chinese.cache_clear()
    yield
    fonts._registered.cache_clear()
    fonts.enable_chinese.cache_clear()


def _broken_copies(folder: Path) -> dict[str, Path]:
    import matplotlib

    good = fonts.FONT_PATH.read_bytes()
    copies = {"missing": folder / "missing.ttf", "garbage": folder / "garbage.ttf", "cut": folder / "cut.ttf"}
    copies["garbage"].write_bytes(b"\x00\x01\x00\x00 not a font at all")
    copies["cut"].write_bytes(good[:2000])
    copies["another font"] = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return copies


@pytest.mark.parametrize("fault", ["missing", "garbage", "cut", "another font"])
def test_a_broken_shipped_font_is_one_line_naming_the_file(fault, tmp_path, monkeypatch, fresh_registration):
    path = _broken_copies(tmp_path)[fault]
    monkeypatch.setattr(fonts, "FONT_PATH", path)
    with pytest.raises(fonts.FontError) as raised:
        fonts.enable_chinese()
    message = str(raised.value)
    assert "\n" not in message and str(path) in message
    assert fonts.cjk_family() is None and not fonts.can_draw("zh") and fonts.can_draw("en")
    assert str(path) in fonts.missing_font_message()


def test_the_shipped_font_joins_the_families_after_sans_serif(fresh_registration):
    import matplotlib

    assert fonts.cjk_family() == fonts.FAMILY and fonts.can_draw("zh")
    families = list(matplotlib.rcParams["font.family"])
    assert families.index(fonts.FAMILY) > families.index("sans-serif")  # Latin text keeps DejaVu Sans
    fonts.enable_chinese.cache_clear()
    fonts.enable_chinese()
    assert list(matplotlib.rcParams["font.family"]).count(fonts.FAMILY) == 1  # never added twice
