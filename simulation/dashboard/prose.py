"""The dashboard's prose: its long passages, kept as Markdown files, and any Markdown shown as server-rendered HTML.

A passage of several paragraphs (the Theory tab, the guide to the measures) is easier to write, review and
translate as a Markdown file than as a message in code: each passage is one file per language,
``prose/<lang>/<name>.md`` beside this module (:data:`PASSAGES`), read when first shown. Short texts (labels,
one-line messages) stay in the message catalogue (:mod:`simulation.i18n`).

``solara.Markdown`` loads KaTeX (and Mermaid) from a public CDN whenever it is shown, whatever the text
says; Solara's bundled assets lack KaTeX, so offline the server logs "Could not load URL ... katex" and
the browser a 404 and a page error. The dashboard's texts use no math, so they are converted here with
Python-Markdown (tables included) and shown as plain HTML: offline stays offline.
"""

from __future__ import annotations

import functools
from pathlib import Path

import markdown
import solara

from ..i18n import check_language

PROSE_DIR = Path(__file__).resolve().parent / "prose"
# Every passage, by file name (each exists in every language: tests/test_dashboard.py).
PASSAGES = ("theory", "measures_guide", "why_they_differ", "lessons")
# Jupyter's rendered-HTML classes give tables and headings the look solara.Markdown gave them.
CLASSES = ["solara-markdown", "rendered_html", "jp-RenderedHTMLCommon"]


def passage_path(name: str, lang: str) -> Path:
    """Where a passage lives in one language; ValueError for a passage or a language the dashboard lacks."""
    if name not in PASSAGES:
        raise ValueError(f"unknown passage {name!r}; valid: {', '.join(PASSAGES)}")
    return PROSE_DIR / check_language(lang) / f"{name}.md"


@functools.cache
def passage(name: str, lang: str = "en") -> str:
    """A passage's Markdown in the reader's language (read once per process: every session shows the same)."""
    return passage_path(name, lang).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=256)
def markdown_html(text: str) -> str:
    """Markdown to HTML (cached: the same texts are shown in every session)."""
    return markdown.markdown(text, extensions=["tables", "sane_lists"])


@solara.component
def Prose(text: str, classes: list[str] | None = None):
    """A block of Markdown, shown as HTML without any script from outside."""
    solara.HTML(tag="div", unsafe_innerHTML=markdown_html(text), classes=CLASSES + list(classes or []))
