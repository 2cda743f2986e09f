"""The dashboard's prose (Markdown) as HTML, rendered on the server.

``solara.Markdown`` loads KaTeX (and Mermaid) from a public CDN whenever it is shown, whatever the text
says; Solara's bundled assets lack KaTeX, so offline the server logs "Could not load URL ... katex" and
the browser a 404 and a page error. The dashboard's texts use no math, so they are converted here with
Python-Markdown (tables included) and shown as plain HTML: offline stays offline.
"""

from __future__ import annotations

import functools

import markdown
import solara

# Jupyter's rendered-HTML classes give tables and headings the look solara.Markdown gave them.
CLASSES = ["solara-markdown", "rendered_html", "jp-RenderedHTMLCommon"]


@functools.lru_cache(maxsize=256)
def markdown_html(text: str) -> str:
    """Markdown to HTML (cached: the same texts are shown in every session)."""
    return markdown.markdown(text, extensions=["tables", "sane_lists"])


@solara.component
def Prose(text: str, classes: list[str] | None = None):
    """A block of Markdown, shown as HTML without any script from outside."""
    solara.HTML(tag="div", unsafe_innerHTML=markdown_html(text), classes=CLASSES + list(classes or []))
