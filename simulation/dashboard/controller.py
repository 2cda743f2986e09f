"""Step, Play and Reset: the run's buttons, and a play loop that never steps faster than the page draws.

Mesa's ModelController plays in one thread and redraws from another, stepping as fast as its pause allows. On a
busy machine drawing a month takes longer than stepping one, so months kept arriving during every render pass,
and a click while playing (a tab switch) met reacton's "Too many renders triggered" (issue 23). Here the play
loop steps only after the page has drawn the month before: the component below sets an event in an effect, which
reacton runs once a render pass is committed, and the loop waits for it. A render therefore never has more than
one month arriving in it, however slow the machine, and a page that cannot keep up plays slower instead of
breaking. The buttons are labelled in the reader's language (Mesa's say Reset and Step in English only).

The views follow a step through Mesa's ``update_counter`` (one per browser tab, like every ``solara.reactive``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

import solara
from mesa.visualization.utils import update_counter

from ..i18n import gettext_for
from .session import Session, failure_message, log_failure

WAKE_SECONDS = 0.25  # how often a waiting play loop looks whether it was stopped


def step_months(model: Any, months: int) -> bool:
    """Step ``months`` months (fewer if the model stops running), then tell the views; whether it still runs."""
    for _ in range(months):
        model.step()
        if not model.running:
            break
    update_counter.set(update_counter.value + 1)
    return bool(model.running)


def play_loop(
    step: Callable[[], bool], pause_ms: Callable[[], int], drawn: threading.Event, stop: threading.Event
) -> None:
    """Call ``step`` until it returns False or ``stop`` is set, each time only once the page has drawn the last step.

    ``drawn`` is set by the page when it has drawn a step (and at the start); ``pause_ms`` is read before each step,
    so the sidebar's slider acts while playing, as does the one for the months a step takes.
    """
    while not stop.is_set():
        if not drawn.wait(WAKE_SECONDS):
            continue  # the page is still drawing (or the tab is closing: stop will be set)
        drawn.clear()
        if stop.wait(pause_ms() / 1000) or not step():
            return


@solara.component
def RunControls(session: Session, months_per_step: solara.Reactive[int], pause_ms: solara.Reactive[int]):
    """Reset (a new model from the sidebar's values), Play / Pause, and Step, with one line if a step failed."""
    _ = gettext_for(session.lang.value)
    model = session.model.value
    playing = solara.use_reactive(False)
    failure: solara.Reactive[str | None] = solara.use_reactive(cast("str | None", None))
    drawn = solara.use_memo(threading.Event, [])
    # Runs after every committed render that shows a new month or a new model: the page has drawn it.
    solara.use_effect(drawn.set, [update_counter.value, model])

    def failed(err: Exception) -> None:
        log_failure(err)
        failure.set(failure_message(err, session.lang.value))
        playing.set(False)

    def play() -> Callable[[], None] | None:
        if not playing.value:
            return None
        stop = threading.Event()

        def run() -> None:
            try:
                play_loop(lambda: step_months(model, months_per_step.value), lambda: pause_ms.value, drawn, stop)
            except Exception as err:  # noqa: BLE001 (shown in one line, logged whole: the tab keeps working)
                failed(err)
                return
            if not stop.is_set():  # the loop ended by itself: the model stopped running
                playing.set(False)

        thread = threading.Thread(target=run, name="dashboard-play", daemon=True)
        thread.start()

        def halt() -> None:
            stop.set()
            if thread is not threading.current_thread():  # the loop's own playing.set(False) ends it from inside
                thread.join(timeout=5.0)

        return halt

    solara.use_effect(play, [playing.value, model])

    def step() -> None:
        try:
            step_months(model, months_per_step.value)
        except Exception as err:  # noqa: BLE001 (as above)
            failed(err)

    def reset() -> None:
        playing.set(False)
        failure.set(None)
        session.load(**session.controls.value)  # every value checked again (DashboardModel)

    with solara.Row(justify="space-between", classes=["run-controls"]):
        solara.Button(label=_("Reset"), color="primary", on_click=reset)
        solara.Button(label="❚❚" if playing.value else "▶", color="primary", disabled=not model.running,
                      on_click=lambda: playing.set(not playing.value))  # fmt: skip
        solara.Button(label=_("Step"), color="primary", on_click=step, disabled=playing.value or not model.running)
    if failure.value:
        solara.Error(failure.value, dense=True)
