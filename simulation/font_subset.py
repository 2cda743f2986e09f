"""Build the Chinese font shipped with the package: ``python -m simulation.font_subset`` (``make fonts``).

Chinese figures and pages must not depend on the machine having a CJK font, so the package carries one:
a subset of Noto Sans CJK SC (SIL Open Font Licence 1.1, which allows subsetting and bundling with the
licence beside the file) cut from Debian's ``fonts-noto-cjk`` collection. A full CJK font is about 16 MB
per face; the package shows well under a thousand distinct Chinese characters, and the subset of just
those is a few hundred KB.

What the subset covers (:func:`required_characters`, and so what ``tests/test_fonts.py`` checks):

- every message of the Chinese catalogue (its translations, and the English texts too, which quote the
  essays' Chinese terms);
- every Chinese character in a string of the package's code (the lessons' quotes, the display names of
  ``simulation/names.py``, the dashboard's texts, the language switch's "中文"): docstrings are left out,
  they are read in the source and never shown;
- every Chinese character in a text of the configuration files (``scenarios/*.toml``; comments are not
  read);
- every Chinese character of the dashboard's prose, its long passages kept as Markdown files
  (``simulation/dashboard/prose/<lang>/*.md``: the Theory tab, the guide to the measures, ...);
- printable ASCII and the common full-width and CJK punctuation, for text not yet in the catalogue.

Two files come out, in ``simulation/fontdata/``: a TrueType font for matplotlib (which reads ``.ttf`` and
``.otf``, not WOFF2) and the same font as WOFF2 for the browser (writing it needs ``brotli``). The source's
PostScript (CFF) outlines are converted to TrueType ones: matplotlib embeds a font in a PDF or PostScript
file at ``pdf.fonttype``/``ps.fonttype`` 42 as TrueType whatever its outlines, and CFF inside would be a
mislabelled font that strict readers reject; WOFF2 also compresses TrueType outlines better (112 KB against
147 KB). The CFF hints are lost, which matplotlib does not miss (it auto-hints by default), nor do browsers
at the sizes of the dashboard's text.

The family is renamed :data:`simulation.fonts.FAMILY` so that it is never mistaken for an installed Noto
font, and avoids Adobe's reserved font name "Source" as the OFL requires of a modified version. The build
is deterministic (the source's timestamp is kept, characters are sorted): the same source, texts and fontTools
and brotli releases give the same bytes. The font records those releases (:func:`signature`), so a test can
rebuild it and compare.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import io
import os
import subprocess
import sys
import time
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

# fontTools ships no type information (no py.typed): its objects are Any to mypy.
from fontTools import subset  # type: ignore[import-untyped]
from fontTools.pens.cu2quPen import Cu2QuPen  # type: ignore[import-untyped]
from fontTools.pens.ttGlyphPen import TTGlyphPen  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont, TTLibError, newTable  # type: ignore[import-untyped]

from .fonts import FAMILY, FONT_PATH, POSTSCRIPT_NAME, WEB_FONT_PATH

PACKAGE_DIR = Path(__file__).resolve().parent
CATALOGUE = PACKAGE_DIR / "locale" / "zh" / "LC_MESSAGES" / "messages.po"
# The configurations: the checkout's scenarios/ (the font is built in a checkout), else the installed copy. Not
# imported from simulation.model: this shared module stays below the model's layer (tests/test_layout.py).
SCENARIO_DIR = next((d for d in (PACKAGE_DIR.parent / "scenarios", PACKAGE_DIR / "configurations") if d.is_dir()),
                    PACKAGE_DIR.parent / "scenarios")  # fmt: skip
# The dashboard's prose, read as files for the same reason (simulation.dashboard.prose reads them for the page).
PROSE_DIR = PACKAGE_DIR / "dashboard" / "prose"

# Debian's fonts-noto-cjk; face 2 of the collection is the Simplified Chinese one.
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FAMILY = "Noto Sans CJK SC"
SOURCE_FACE = 2

ASCII = "".join(chr(code) for code in range(0x20, 0x7F))
# Full-width and CJK punctuation a translation may use next to the characters already in the texts.
PUNCTUATION = "，。：；、（）“”‘’《》〈〉「」『』【】〔〕—…·％！？～／＋－＝＜＞　"

# OpenType features kept: kerning and CJK proportional spacing. Left out: 'locl' (its Japanese, Korean and
# Traditional Chinese forms would double the glyphs, and no page here is in those languages) and the
# vertical-writing forms (nothing is set vertically); the Latin ligatures add no glyph the texts need.
LAYOUT_FEATURES = ["kern", "palt", "halt"]
# Name records kept from the source: copyright, names, version, trademark, licence and its URL.
NAME_IDS = [0, 1, 2, 3, 4, 5, 6, 7, 13, 14]
# Vertical metrics, for vertical writing only; VORG would also describe CFF glyphs that are no longer there.
DROPPED_TABLES = ["vhea", "vmtx", "VORG"]
CURVE_ERROR = 1.0  # largest distance, in font units (1000 per em), of a converted curve from the original


class BuildError(RuntimeError):
    """The subset cannot be built here; the message is one line naming the problem."""


# --- what the subset must cover -------------------------------------------------------------------------


def catalogue_text(path: Path = CATALOGUE) -> str:
    """Every message of a gettext catalogue, original and translation (plural forms included)."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalogue = read_po(handle)
    parts: list[str] = []
    for message in catalogue:
        for text in (message.id, message.string):
            parts.extend(t for t in (text if isinstance(text, tuple | list) else (text,)) if t)
    return "".join(parts)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the nodes that are docstrings (read in the source, never shown)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def code_text(package: Path = PACKAGE_DIR) -> str:
    """The string literals of the package's modules, docstrings left out (comments are not strings)."""
    parts: list[str] = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skip = _docstrings(tree)
        parts.extend(
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
        )
    return "".join(parts)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def configuration_text(folder: Path = SCENARIO_DIR) -> str:
    """Every string of the configuration files (titles, descriptions, the assumptions' reasons)."""
    return "".join(
        text for path in sorted(folder.glob("*.toml")) for text in _strings(tomllib.loads(path.read_text("utf-8")))
    )


def prose_text(folder: Path = PROSE_DIR) -> str:
    """Every passage of the dashboard's prose, in every language (``prose/<lang>/<name>.md``)."""
    return "".join(path.read_text(encoding="utf-8") for path in sorted(folder.glob("*/*.md")))


def is_chinese(char: str) -> bool:
    """Wide or full-width characters: ideographs, CJK and full-width punctuation (what DejaVu Sans lacks)."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def shown_text() -> str:
    """Every text the package shows besides the catalogue: its code's strings, the configurations, the prose."""
    return code_text() + configuration_text() + prose_text()


def required_characters(shown: str) -> set[str]:
    """What the subset must have: ASCII, the punctuation, the catalogue whole, and the Chinese of ``shown``.

    ``shown`` is the text of the code, the configurations and the dashboard's prose (:func:`shown_text`).
    """
    wanted = set(ASCII + PUNCTUATION + catalogue_text()) | {char for char in shown if is_chinese(char)}
    return {char for char in wanted if char.isprintable() or char == "\u3000"}  # U+3000: the ideographic space


def optional_characters(shown: str) -> set[str]:
    """The other characters of ``shown`` (Latin, symbols): kept if the source has them.

    The subset is a fallback after DejaVu Sans in the figures and after the page's font in the browser, which
    draw these already; a symbol the source lacks is no reason to stop the build.
    """
    return {char for char in shown if char.isprintable()} - required_characters(shown)


# --- the source font --------------------------------------------------------------------------------------


def find_source() -> Path:
    """Debian's Noto Sans CJK collection: the known path, else where fontconfig has it; BuildError if absent."""
    if SOURCE.is_file():
        return SOURCE
    try:
        listed = subprocess.run(
            ["fc-list", "-f", "%{file}\n", f"{SOURCE_FAMILY}:style=Regular"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        listed = []
    for name in listed:
        if name.endswith("NotoSansCJK-Regular.ttc"):
            return Path(name)
    raise BuildError(f"the source font {SOURCE} is not installed (apt-get install fonts-noto-cjk on Debian or Ubuntu)")


def _open_face(source: Path) -> TTFont:
    """The Simplified Chinese face of the collection; BuildError if the file is not that collection."""
    try:
        font = TTFont(str(source), fontNumber=SOURCE_FACE, lazy=True)
        family = font["name"].getDebugName(1)
    except (OSError, TTLibError, IndexError, KeyError, ValueError) as error:
        raise BuildError(f"cannot read {source} as the Noto Sans CJK collection: {error}") from error
    if family != SOURCE_FAMILY:
        raise BuildError(f"face {SOURCE_FACE} of {source} is {family!r}, not {SOURCE_FAMILY!r}")
    return font


def signature(source: Path) -> str:
    """What decides the bytes of the subset: the source's version and the tools' (the font's unique ID).

    A test can then rebuild and expect the shipped bytes exactly when the signatures agree (another fontTools
    or brotli release may lay out the same font differently).
    """
    if importlib.util.find_spec("brotli") is None:  # fontTools needs it to write WOFF2
        raise BuildError("writing WOFF2 needs brotli: pip install brotli (the project's fonts extra)")
    version = _open_face(source)["name"].getDebugName(5)
    tools = f"fontTools {metadata.version('fonttools')};brotli {metadata.version('brotli')}"
    return f"{POSTSCRIPT_NAME};subset of {SOURCE_FAMILY} {version};{tools}"


# --- the build --------------------------------------------------------------------------------------------


def _options() -> subset.Options:
    options = subset.Options(font_number=SOURCE_FACE)
    options.layout_features = LAYOUT_FEATURES
    options.name_IDs = NAME_IDS
    options.drop_tables = [*options.drop_tables, *DROPPED_TABLES]
    options.recalc_timestamp = False  # keep the source's dates: the same source gives the same bytes
    return options


def _rename(font: TTFont, unique_id: str) -> None:
    """Give the subset its own family name (the records the source has: Windows and Macintosh alike)."""
    names = font["name"]
    text = {1: FAMILY, 3: unique_id, 4: FAMILY, 6: POSTSCRIPT_NAME}
    for record in list(names.names):
        if record.nameID in text:
            names.setName(text[record.nameID], record.nameID, record.platformID, record.platEncID, record.langID)


def _to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines by quadratic TrueType ones (glyf, loca), in the same glyph order.

    The metrics, cmap and layout tables refer to glyphs by name and stay as they are; the left side bearings
    become each glyph's left edge, as TrueType requires, and maxp becomes the TrueType version (its counts
    are recalculated when the font is saved).
    """
    order = font.getGlyphOrder()
    outlines = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(outlines)
        outlines[name].draw(Cu2QuPen(pen, CURVE_ERROR, reverse_direction=True))  # CFF winds the other way
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        glyph.recalcBounds(glyf)
        hmtx[name] = (hmtx[name][0], getattr(glyph, "xMin", 0))
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements"):
        setattr(maxp, field, 0)
    maxp.maxZones, maxp.maxSizeOfInstructions, maxp.maxComponentElements = 1, 0, 0
    maxp.numGlyphs = len(order)
    font["maxp"] = maxp
    font["post"].formatType = 3.0  # no glyph names: the source's are CIDs ("cid01234"), of no use to anyone
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\0\1\0\0"
    font.recalcBBoxes = True  # on save: maxp's point and contour counts, and head's box of the glyphs kept


def _cut(source: Path, characters: Iterable[str]) -> TTFont:
    options = _options()
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(char) for char in characters))
    subsetter.subset(font)
    return font


def _save(font: TTFont, flavor: str | None) -> bytes:
    font.flavor = flavor
    buffer = io.BytesIO()
    font.save(buffer, reorderTables=False)
    return buffer.getvalue()


def build(source: Path) -> tuple[bytes, bytes, int]:
    """The subset as (TrueType bytes, WOFF2 bytes, number of characters); BuildError if a character is missing."""
    unique_id = signature(source)
    cmap = _open_face(source).getBestCmap()
    shown = shown_text()
    required = required_characters(shown)
    missing = "".join(sorted(char for char in required if ord(char) not in cmap))
    if missing:
        raise BuildError(f"{SOURCE_FAMILY} has no glyph for {missing!r}, which the texts use: write them otherwise")
    characters = required | {char for char in optional_characters(shown) if ord(char) in cmap}
    font = _cut(source, characters)
    _rename(font, unique_id)
    _to_truetype(font)
    return _save(font, None), _save(font, "woff2"), len(characters)


def _write(path: Path, data: bytes) -> None:
    """Replace the file whole (never half a font if the build is interrupted)."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    """Build the shipped font files from the system's Noto Sans CJK and say what was written."""
    parser = argparse.ArgumentParser(prog="python -m simulation.font_subset", description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help=f"the Noto Sans CJK collection (default: {SOURCE})")
    parser.add_argument("--out", type=Path, default=FONT_PATH.parent, help="folder for the two font files")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        source = args.source or find_source()
        if not source.is_file():
            raise BuildError(f"the source font {source} does not exist")
        ttf, woff2, count = build(source)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for path, data in ((args.out / FONT_PATH.name, ttf), (args.out / WEB_FONT_PATH.name, woff2)):
        _write(path, data)
        print(f"{path}: {len(data) / 1024:.0f} KB")
    print(f"{count} characters from {source} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
