"""The languages a person can read this tool in: English and Simplified Chinese.

The standard tooling of the Python ecosystem: GNU gettext catalogues, managed with Babel
(``pybabel extract / update``, see ``docs/translating.md``). English is the source language: every
message is written in English in the code (the gettext ``msgid``), so English needs no catalogue and
is what gettext returns when a message has no translation. Chinese lives in one catalogue,
``simulation/locale/zh/LC_MESSAGES/messages.po``.

Compiled ``.mo`` files are not kept in git: a binary copy of the catalogue goes stale silently the
moment someone edits the ``.po`` and forgets ``pybabel compile``. Instead the ``.po`` is compiled in
memory the first time a language is used (Babel's own reader and writer, a few milliseconds), so a
fresh clone, an editable install and CI all read the catalogue as it is. A ``.mo`` that
``pybabel compile`` left beside it is ignored for the same reason.

Translations are looked up per call, never through a process-wide "current language": the dashboard
serves several browser tabs from threads of one process, each tab in its own language. Functions that
show text take a ``lang`` argument and call :func:`gettext_for` (bound to ``_`` so that ``pybabel
extract`` finds the messages); texts defined at module level are marked with :func:`N_` and translated
where they are shown.
"""

from __future__ import annotations

import functools
import gettext
import io
import os
from collections.abc import Callable, Mapping
from pathlib import Path

LANGUAGES = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}  # each in its own language: what a switch shows
DEFAULT_LANGUAGE = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


class LanguageError(ValueError):
    """A language this tool does not speak; the message names the valid choices."""


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name for "mark, translate later")
    """Mark a message for the catalogue without translating it yet (it is translated where it is shown)."""
    return message


def check_language(text: str) -> str:
    """A language code from user input ('zh', 'EN', 'zh_CN', 'zh-Hans'), or :class:`LanguageError`."""
    code = str(text).strip().lower().replace("-", "_").split("_")[0]
    if code not in LANGUAGES:
        raise LanguageError(f"unknown language {text!r}; valid: {', '.join(LANGUAGES)}")
    return code


def language_from_locale(environ: Mapping[str, str] | None = None) -> str:
    """The language the user's locale asks for (LANG=zh_CN.UTF-8 -> 'zh'); English for any other locale.

    The variables are read in gettext's order of precedence (LANGUAGE, LC_ALL, LC_MESSAGES, LANG): the first
    one set decides, as it does for every other program on the machine.
    """
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            first = value.split(":")[0].split(".")[0]
            try:
                return check_language(first)
            except LanguageError:
                return DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def catalogue_path(lang: str) -> Path:
    """Where a language's message catalogue (.po) lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The translations of one language, compiled in memory from its .po once per process.

    Thread-safe to share: a ``GNUTranslations`` object is only read after it is built.
    """
    lang = check_language(lang)
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalogue_path(lang).open("rb") as po:
        catalogue = read_po(po, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)  # fuzzy entries are left out, as pybabel compile does
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(lang: str) -> Callable[[str], str]:
    """The ``_`` of one language: ``_ = gettext_for(lang)`` then ``_("text")``."""
    return translations(lang).gettext


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LanguageError",
    "N_",
    "check_language",
    "gettext_for",
    "language_from_locale",
    "translations",
]
