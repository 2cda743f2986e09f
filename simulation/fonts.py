"""The Chinese font the package ships, for the figures (matplotlib) and the dashboard (the browser).

Matplotlib's bundled DejaVu Sans has no CJK glyphs: Chinese text would come out as empty boxes, with a
"Glyph ... missing" warning per character. Rather than depend on the machine having a CJK font, the package
carries a subset of Noto Sans CJK SC (SIL Open Font Licence, ``fontdata/OFL.txt``) with every character
its texts use, built by :mod:`simulation.font_subset` (``make fonts``) under its own family name
:data:`FAMILY`, so it is never confused with an installed Noto font.

The family is appended to ``font.family`` after the usual ``sans-serif``: matplotlib (3.6+) falls back
glyph by glyph along that list, so Latin text keeps DejaVu Sans (English figures are unchanged) and only
Chinese characters come from the shipped font. Set once per process, before any figure is drawn, it is
safe for the dashboard's threads, which never change it.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import matplotlib
from matplotlib import font_manager

FAMILY = "Noto Sans SC Subset"  # the shipped font's family name (the source's is "Noto Sans CJK SC")
POSTSCRIPT_NAME = "NotoSansSCSubset-Regular"
FONT_DIR = Path(__file__).resolve().parent / "fontdata"
FONT_PATH = FONT_DIR / "NotoSansSC-subset.ttf"  # for matplotlib
WEB_FONT_PATH = FONT_DIR / "NotoSansSC-subset.woff2"  # the same glyphs for the browser (@font-face)
_lock = threading.Lock()


class FontError(RuntimeError):
    """The shipped Chinese font is missing or unreadable; the message is one line naming the file."""


def missing_font_message() -> str:
    """The one line that says Chinese figures cannot be drawn because the shipped font is broken, and why."""
    state = "unreadable" if FONT_PATH.is_file() else "missing"
    return (
        f"the Chinese font shipped with the package is {state}: {FONT_PATH}; "
        "reinstall the package (in a checkout: make fonts)"
    )


def _register() -> None:
    """Add the shipped font to matplotlib's font manager; FontError if it is not the font it should be."""
    try:
        family = font_manager.get_font(str(FONT_PATH)).family_name
    except (OSError, RuntimeError, ValueError) as error:  # FreeType's "Can not load face" is a RuntimeError
        raise FontError(missing_font_message()) from error
    if family != FAMILY:
        raise FontError(f"{FONT_PATH} is the font {family!r}, not {FAMILY!r}; {missing_font_message()}")
    if not any(entry.fname == str(FONT_PATH) for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(FONT_PATH))


@functools.cache
def _registered() -> str:
    """The shipped family, registered with matplotlib once per process (a failure is not cached: it raises)."""
    with _lock:
        _register()
    return FAMILY


def cjk_family() -> str | None:
    """The family with the Chinese glyphs (the shipped one), or None if its file is missing or unreadable."""
    try:
        return _registered()
    except FontError:
        return None


@functools.cache
def enable_chinese() -> str:
    """Let figures draw Chinese: the shipped family joins ``font.family`` as a fallback; FontError if broken.

    Idempotent (cached), so every figure-drawing entry point can call it.
    """
    family = _registered()
    families = list(matplotlib.rcParams["font.family"])
    if family not in families:
        matplotlib.rcParams["font.family"] = [*families, family]
    return family


def can_draw(lang: str) -> bool:
    """Whether figures in ``lang`` can be drawn with real glyphs (enabling the Chinese font if needed)."""
    if lang != "zh":
        return True
    try:
        enable_chinese()
    except FontError:
        return False
    return True


def web_font_path() -> Path:
    """The WOFF2 file for the browser, served by the dashboard under an ``@font-face`` rule for :data:`FAMILY`."""
    return WEB_FONT_PATH


__all__ = [
    "FAMILY",
    "FONT_PATH",
    "FontError",
    "can_draw",
    "cjk_family",
    "enable_chinese",
    "missing_font_message",
    "web_font_path",
]
