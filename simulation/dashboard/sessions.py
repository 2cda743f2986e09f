"""How many browser tabs the dashboard serves at once, and when a tab's model is freed.

What one tab holds is :mod:`simulation.dashboard.session`; this module decides whether a tab gets a session at
all, and gives back what a session held when it ends. Sessions are bounded, so that a classroom reloading for an
hour cannot exhaust the server:

* a session's model lives in the components of that session only (:func:`SessionLayout`), so it is freed when
  Solara closes the session (the tab closed, or its connection gone for a minute: see
  :func:`simulation.dashboard.server.server_env`), and the memory goes back to the operating system
  (:class:`MemoryReturner`);
* a tab left without a Step, Play or Reset for ``DASHBOARD_IDLE_MINUTES`` frees its model and offers to start
  again (:func:`IdleWatch`);
* at most ``DASHBOARD_MAX_SESSIONS`` tabs are served at once (:class:`SessionSlots`); the next gets a message
  saying so, and a button to try again.

The page module (:mod:`simulation.dashboard.app`) wraps its pages in :func:`SessionGate`, giving it the model
class to build; this module never imports the page (``solara run`` loads that as a script of its own).
"""

from __future__ import annotations

import ctypes
import gc
import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any, cast

import solara
from mesa.visualization.utils import update_counter

from ..i18n import gettext_for
from .prose import Prose
from .session import Session, control_values, default_language, language_from_query, session_context


def _setting(name: str, default: float) -> float:
    """A positive number from the environment (set by `python -m simulation dashboard`), else the default."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if math.isfinite(value) and value > 0 else default


MAX_SESSIONS = int(_setting("DASHBOARD_MAX_SESSIONS", 60))
IDLE_SECONDS = 60 * _setting("DASHBOARD_IDLE_MINUTES", 15)


# --- how many tabs ----------------------------------------------------------------------------------------------------
class SessionSlots:
    """Which kernels (browser tabs) hold one of the server's session slots; thread-safe (one thread per tab)."""

    def __init__(self) -> None:
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def take(self, kernel_id: str, limit: int) -> bool:
        """Give this tab a slot if one is free (a tab that has one keeps it); False when the server is full."""
        with self._lock:
            if kernel_id in self._held or len(self._held) < limit:
                self._held.add(kernel_id)
                return True
            return False

    def release(self, kernel_id: str) -> None:
        with self._lock:
            self._held.discard(kernel_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)


slots = SessionSlots()


# --- memory given back ------------------------------------------------------------------------------------------------
class MemoryReturner:
    """After sessions close, collect garbage and hand freed memory back to the operating system, once a second.

    A closed session's objects are freed, but glibc's allocator keeps the freed pages for reuse, so the server's
    resident memory would still grow with every session until the allocator's caches are full (measured: 50 MB
    over 100 sessions, nearly all of it in the first 25). ``malloc_trim`` returns them; with it, 100 sessions
    leave the server within a few MB of where one left it. Elsewhere than glibc this only collects garbage.
    """

    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._trim = _malloc_trim()

    def soon(self) -> None:
        """Ask for a collection shortly (several closes in a row share one)."""
        with self._lock:
            if self._timer is None:
                self._timer = threading.Timer(self.delay, self.now)
                self._timer.daemon = True
                self._timer.start()

    def now(self) -> None:
        with self._lock:
            self._timer = None
        gc.collect()
        if self._trim is not None:
            self._trim(0)

    def wait(self) -> None:
        """Wait until a requested collection has run (for tests and measurements)."""
        with self._lock:
            timer = self._timer
        if timer is not None:
            timer.join()


def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


memory = MemoryReturner()


def _session_closed(kernel_id: str) -> None:
    slots.release(kernel_id)
    memory.soon()


# --- the components: a slot, then a session ---------------------------------------------------------------------------
session_idle = solara.create_context(cast(Any, None))  # called by IdleWatch when the session's model is to be freed


def _query() -> str | None:
    """The address's query string (``lang=zh``); None outside a browser (``solara.render`` in tests)."""
    try:
        return solara.use_router().search
    except Exception:  # noqa: BLE001 (no router context: the default language)
        return None


@solara.component
def SessionGate(children: list, build: Callable[..., Any]):
    """A session slot for this tab, then the session itself (or a message: the server is full, or the tab was idle).

    ``build`` makes the tab's model from control values (the dashboard's ``DashboardModel``). The model lives one
    level down, in :func:`SessionLayout`, which is unmounted when the tab has been idle: with it go its hooks'
    state, so the model is freed while the tab stays open. The language lives here, so a tab that starts again
    keeps the language its student chose.
    """
    kernel_id = solara.get_kernel_id()
    lang = solara.use_reactive(language_from_query(_query(), default_language()))
    attempt = solara.use_reactive(0)
    has_slot = solara.use_memo(lambda: slots.take(kernel_id, MAX_SESSIONS), [attempt.value])
    solara.use_effect(lambda: (lambda: _session_closed(kernel_id)) if has_slot else None, [has_slot])
    idle = solara.use_reactive(False)
    _ = gettext_for(lang.value)
    if not has_slot:
        return _Notice(
            _("The dashboard is full: it serves {limit} browser tabs at once, and all are in use. Close a tab you no "
              "longer need, or try again in a minute.").format(limit=MAX_SESSIONS),
            _("Try again"), lambda: attempt.set(attempt.value + 1), lang.value,
        )  # fmt: skip
    if idle.value:
        return _Notice(
            _("This tab was idle for {minutes:g} minutes, so its model was put away to make room for others.").format(
                minutes=IDLE_SECONDS / 60), _("Start again"), lambda: idle.set(False), lang.value,
        )  # fmt: skip
    return SessionLayout(children=children, on_idle=lambda: idle.set(True), lang=lang, build=build)


def _Notice(text: str, label: str, on_click: Any, lang: str = "en") -> Any:  # builds elements, named like a component
    with solara.AppLayout() as layout:
        _ = gettext_for(lang)
        with solara.Card(_("Community self-governance"), classes=["dashboard-notice"]):
            Prose(text)
            solara.Button(label, color="primary", on_click=on_click)
    return layout


@solara.component
def SessionLayout(children: list, on_idle: Any, lang: solara.Reactive, build: Callable[..., Any]):
    """The session's model and the values of its controls live here, above the app layout and the page.

    Every browser session renders its own layout, hence its own model. Picking a configuration or loading a
    lesson replaces the model and the controls' values together (:meth:`Session.load`); the sidebar's controls
    show those values, so nothing needs re-creating and the open tab stays open.
    """
    first = solara.use_memo(build, [])
    model = solara.use_reactive(first)
    controls = solara.use_reactive(solara.use_memo(lambda: control_values(first), []))
    notice = solara.use_reactive(cast("str | None", None))
    session = solara.use_memo(lambda: Session(model, lang, controls, build, notice), [])
    session_idle.provide(on_idle)
    session_context.provide(session)
    return solara.AppLayout(children=children)


@solara.component
def IdleWatch(model: solara.Reactive):
    """Calls the session's idle callback after IDLE_SECONDS without a Step, Play or Reset (renders nothing).

    A small component of its own, so that following every step re-renders only it; one watcher thread per
    session (stopped with the session) compares the time of the last activity with the clock.
    """
    on_idle = solara.use_context(session_idle)
    last_active = solara.use_ref(time.monotonic())
    update_counter.get(), model.get()  # subscribe: a step or a new model re-renders this component
    last_active.current = time.monotonic()

    limit = IDLE_SECONDS  # this session's limit, fixed when it starts

    def watch(cancel: threading.Event) -> None:
        while not cancel.wait(min(limit, 15.0)):
            if time.monotonic() - last_active.current >= limit:
                if on_idle is not None:
                    on_idle()
                return

    def start() -> Callable[[], None]:
        cancel = threading.Event()
        thread = threading.Thread(target=watch, args=(cancel,), name="idle-watch", daemon=True)
        thread.start()

        def stop() -> None:
            # Joined, not only cancelled (as solara.use_thread does): Solara's close of a session walks the
            # threads' contexts while a thread that ends drops its own, and a watcher still ending then made the
            # close fail now and then with a KeyError (tests/dashboard_sessions.py, Solara 1.64).
            cancel.set()
            if thread is not threading.current_thread():  # the watcher's own on_idle unmounts this component
                thread.join(timeout=5.0)

        return stop

    solara.use_effect(start, [])
