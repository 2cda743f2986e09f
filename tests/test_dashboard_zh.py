"""The dashboard in Chinese shows no English label: every tab and the sidebar, checked against the catalogue.

A label left out of translation falls back to its English msgid, so the page is scanned for exactly that: every
visible string (text children, HTML and Markdown blocks, select items, slider, field and card labels, buttons) is
compared with every English message of the Chinese catalogue that has a translation of its own. The catalogue test
(tests/test_i18n.py) sees only that the strings are marked for translation, and the browser test
(tests/test_browser.py) looks at a few words; a select whose items were never passed through ``_`` passed both.

The widget walk and the kernel are tests/test_dashboard.py's (importing them collects none of its tests).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import ipyvuetify as v
import ipywidgets
import pytest
import solara
import solara.widgets
from babel.messages.pofile import read_po

from simulation import i18n
from simulation.dashboard import app

from .test_dashboard import all_widgets, new_session

TABS = len(app.PAGE_NAMES)
LABEL_TRAITS = ("label", "placeholder", "hint", "title", "tooltip", "description")  # text a widget shows as a label


@pytest.fixture
def session():
    """A fresh virtual kernel, as Solara's server makes for each browser connection."""
    context = new_session()
    with context:
        yield context
    context.close()


class _TextOf(HTMLParser):
    """The text nodes of an HTML fragment, each on its own (a cell, a heading, a paragraph's run of text)."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)


def html_text(html: str) -> list[str]:
    parser = _TextOf()
    parser.feed(html)
    return parser.pieces


def visible_texts(root: ipywidgets.Widget) -> list[str]:
    """Every string the rendered page shows: text children, HTML and templates (their text nodes), select items,
    and the labels widgets carry as traits; stripped, without empty ones."""
    texts: list[str] = []
    for widget in all_widgets(root):
        if isinstance(widget, solara.widgets.HTML):
            texts += html_text(widget.unsafe_innerHTML or "")
        elif isinstance(widget, v.VuetifyTemplate):
            template = widget.template
            texts += html_text(getattr(template, "template", template) or "")
        texts += [child for child in getattr(widget, "children", None) or [] if isinstance(child, str)]
        for trait in LABEL_TRAITS:
            value = getattr(widget, trait, None) if widget.has_trait(trait) else None
            texts += [value] if isinstance(value, str) else []
        if isinstance(widget, v.Select):
            texts += [item["text"] for item in widget.items or [] if isinstance(item, dict) and "text" in item]
            texts += [item for item in widget.items or [] if isinstance(item, str)]
    return [" ".join(text.split()) for text in texts if text and text.strip()]


class EnglishLabels:
    """The catalogue's English messages that have a Chinese translation of their own: the exact ones, and those with
    ``{placeholders}`` by their literal parts (only where those hold a word of three letters or more, so that a
    message such as "{name}: {value}" cannot match any text by chance)."""

    def __init__(self) -> None:
        with i18n.catalogue_path("zh").open("rb") as po:
            catalogue = read_po(po, locale="zh")
        self.exact: set[str] = set()
        self.templates: list[tuple[list[str], re.Pattern[str]]] = []
        for message in catalogue:
            if not message.id or not message.string or message.string == message.id:
                continue
            english = " ".join(str(message.id).split())
            literal = re.split(r"\{[^}]*\}", english)
            if len(literal) == 1:
                self.exact.add(english)
            elif re.search("[A-Za-z]{3}", "".join(literal)):
                pattern = re.compile("(?s)" + ".+".join(re.escape(part) for part in literal))
                self.templates.append((literal, pattern))

    def matches(self, text: str) -> bool:
        if text in self.exact:
            return True
        for literal, pattern in self.templates:
            # The literal parts in place first: a cheap test that spares the regular expression nearly every text.
            if text.startswith(literal[0]) and text.endswith(literal[-1]) and all(p in text for p in literal):
                if pattern.fullmatch(text):
                    return True
        return False

    def among(self, texts: list[str]) -> list[str]:
        return sorted({text for text in texts if re.search("[A-Za-z]", text) and self.matches(text)})


@pytest.fixture(scope="module")
def english_labels() -> EnglishLabels:
    labels = EnglishLabels()
    assert len(labels.exact) > 300 and labels.templates  # the catalogue was read, not an empty file
    return labels


def render_page(monkeypatch, lang: str):
    """The dashboard as a server started with ``--lang LANG`` shows it (no ``?lang=`` in a test: the default)."""
    monkeypatch.setenv("DASHBOARD_LANG", lang)
    assert app.default_language() == lang
    return solara.render(app.Layout(children=[app.Page()]), handle_error=False)[1]


def test_the_scan_finds_the_english_labels_of_the_english_page(session, monkeypatch, english_labels):
    """The check can fail: on the English page, whose labels are the msgids themselves, it finds them."""
    found = english_labels.among(visible_texts(render_page(monkeypatch, "en").container))
    assert {"trust strangers", "Levers", "Residents", "Reset", "Random seed"} <= set(found)


@pytest.mark.parametrize("tab", range(TABS))
def test_no_visible_label_of_a_chinese_tab_or_the_sidebar_is_english(session, monkeypatch, english_labels, tab):
    page = render_page(monkeypatch, "zh")
    page.find(v.Tabs).widget.v_model = tab
    texts = visible_texts(page.container)
    assert any(re.search("[\u4e00-\u9fff]", text) for text in texts)  # the page is drawn, in Chinese
    assert english_labels.among(texts) == []
