"""A font with Chinese glyphs for the figures, found through matplotlib's font manager.

Matplotlib's bundled DejaVu Sans has no CJK glyphs: Chinese text comes out as empty boxes, with a
"Glyph ... missing" warning per character. Debian's ``fonts-noto-cjk`` provides them, but matplotlib
does not list its ``.ttc`` collections on its own, not even after rebuilding its font cache (checked
with matplotlib 3.11), so the font files found on the system are registered with
``fontManager.addfont`` first.

The CJK family is appended to ``font.family`` after the usual ``sans-serif``: matplotlib (3.6+) falls
back glyph by glyph along that list, so Latin text keeps DejaVu Sans (English figures are unchanged)
and only Chinese characters come from the CJK font. Set once per process, before any figure is drawn,
it is safe for the dashboard's threads, which never change it.
"""

from __future__ import annotations

import functools
import threading

import matplotlib
from matplotlib import font_manager

# Families with the Simplified Chinese glyphs, best first (Debian, Source Han, WenQuanYi, Windows, macOS).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
FILE_HINTS = ("cjk", "sourcehan", "wqy", "msyh", "simhei", "pingfang", "stheiti", "droidsansfallback", "uming")
FIX = "apt-get install fonts-noto-cjk on Debian or Ubuntu, or any font with Simplified Chinese glyphs"
_lock = threading.Lock()


class FontError(RuntimeError):
    """No font with Chinese glyphs on this machine; the message is one line and says how to get one."""


def _known_family() -> str | None:
    names = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in names), None)


@functools.cache
def cjk_family() -> str | None:
    """The name of an installed font family with Simplified Chinese glyphs, or None (searched once per process)."""
    with _lock:
        family = _known_family()
        if family is not None:
            return family
        for path in font_manager.findSystemFonts():
            if any(hint in path.lower().replace("-", "").replace("_", "") for hint in FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # an unreadable font file: skip it
                    continue
        return _known_family()


def missing_font_message() -> str:
    """The one line that says Chinese figures cannot be drawn here, and the fix."""
    return f"no font with Chinese glyphs is installed, so Chinese figures cannot be drawn; install one: {FIX}"


@functools.cache
def enable_chinese() -> str:
    """Let figures draw Chinese: the CJK family joins ``font.family`` as a fallback; :class:`FontError` if none.

    Idempotent (cached), so every figure-drawing entry point can call it.
    """
    family = cjk_family()
    if family is None:
        raise FontError(missing_font_message())
    families = list(matplotlib.rcParams["font.family"])
    if family not in families:
        matplotlib.rcParams["font.family"] = [*families, family]
    return family


def can_draw(lang: str) -> bool:
    """Whether figures in ``lang`` can be drawn with real glyphs here (enabling the Chinese font if needed)."""
    if lang != "zh":
        return True
    try:
        enable_chinese()
    except FontError:
        return False
    return True


__all__ = ["CJK_FAMILIES", "FontError", "can_draw", "cjk_family", "enable_chinese", "missing_font_message"]
