"""What one browser tab of the dashboard holds: its model, its language and the values of its controls.

Shared by the dashboard's page (:mod:`simulation.dashboard.app`) and its Lessons tab
(:mod:`simulation.dashboard.lessons_view`) through a Solara context, so the tab can load a lesson into the same
model and sliders the sidebar shows. Each tab renders its own session (Solara gives every browser connection its
own render tree), so two students never share a model or a language. How many tabs the server serves, and when
a tab's model is freed, is :mod:`simulation.dashboard.sessions`.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs

import solara

from ..i18n import DEFAULT_LANGUAGE, LanguageError, check_language, gettext_for
from ..validation import ValidationError
from .controls import RefusedValue, log_refusal, offered_control


@dataclass(frozen=True)
class Session:
    """The reactive state of one tab. ``controls`` holds the values Reset builds the next model from."""

    model: solara.Reactive  # the DashboardModel shown
    lang: solara.Reactive  # 'en' or 'zh'
    controls: solara.Reactive  # dict: keyword -> value of every control (Reset builds the next model from it)
    build: Callable[..., Any]  # DashboardModel: a new model from control values
    notice: solara.Reactive  # the one-line notice shown at the top of the sidebar (a refused value), or None

    def load(self, **controls: Any) -> None:
        """A new model from these controls, shown at once, with every control set to its values."""
        try:
            model = self.build(**controls)
        except RefusedValue as err:
            self.refuse(err)
            return
        self.controls.set(control_values(model))
        self.model.set(model)
        self.notice.set(None)

    def offer(self, name: str, value: Any) -> None:
        """Store a control's new value if the page could have offered it; refuse it (in one line) otherwise."""
        try:
            value = offered_control(name, value)
        except RefusedValue as err:
            self.refuse(err)
            return
        self.controls.set({**self.controls.value, name: value})
        self.notice.set(None)

    def refuse(self, err: Exception) -> None:
        """Show a refused value's one line in the page, and log it on the server."""
        log_refusal(err)
        self.notice.set(str(err))


def control_values(model: Any) -> dict[str, Any]:
    """The value of every control for a model: what Reset would build it from again."""
    values = {"configuration": model.configuration, "seed": model.seed_text, "n_residents": model.params.n_residents}
    for name in model.CONTROLLED:
        values[name] = getattr(model.params, name)
    return values


def default_language() -> str:
    """The language a tab starts in without ``?lang=``: the server's (``dashboard --lang``), else English."""
    try:
        return check_language(os.environ.get("DASHBOARD_LANG", DEFAULT_LANGUAGE))
    except LanguageError:
        return DEFAULT_LANGUAGE


def language_from_query(search: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The language asked for by ``?lang=zh`` in the address; the default for none or an unknown one."""
    values = parse_qs((search or "").lstrip("?")).get("lang", [])
    try:
        return check_language(values[0]) if values else default
    except LanguageError:
        return default


def failure_message(err: BaseException, lang: str = "en") -> str:
    """What a page shows when something failed: a refused value's own line; for anything else only that it failed
    (a message or a traceback could name the server's files, so those stay in the server's log)."""
    _ = gettext_for(lang)
    if isinstance(err, ValidationError):
        return _("Refused: {reason}").format(reason=err)
    return _("Something went wrong on the server ({kind}); it is in the server's log. Reload the page.").format(
        kind=type(err).__name__
    )


def log_failure(err: BaseException) -> None:
    """The whole story of a failure, for the server's log (the page shows one line: :func:`failure_message`)."""
    if isinstance(err, ValidationError):
        log_refusal(err)
    else:
        print("dashboard: a page failed:", file=sys.stderr, flush=True)
        traceback.print_exception(err, file=sys.stderr)


session_context = solara.create_context(cast("Session | None", None))


def use_session() -> Session:
    """This tab's session (the page must be rendered inside the app's Layout, as ``solara run`` does)."""
    session = solara.use_context(session_context)
    if session is None:
        raise RuntimeError("the dashboard's components must be rendered inside its Layout (solara run does this)")
    return session
