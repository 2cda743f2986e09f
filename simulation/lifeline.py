"""Processes that end together: workers die with their parent, and SIGTERM or SIGHUP stop work like Ctrl-C.

A process pool's workers block on their task queue, and a multiprocessing pipe
never reports the end of a parent killed with SIGKILL: every worker holds the
queue's write end too. So a runner killed with ``kill -9`` (or with SIGTERM,
whose default action skips all clean-up) used to leave its workers and
multiprocessing's resource tracker behind, re-parented to PID 1, for good.

Two mechanisms close that gap:

* Every worker holds a lifeline from its first moment: a daemon thread blocked
  on the end of a pipe whose other end only the parent holds (multiprocessing's
  parent sentinel). The kernel closes that end when the parent dies, however it
  died (SIGKILL included), and the thread ends the worker at once. It is started
  by :func:`worker_initializer`, before the worker imports this package: the
  import takes 1-5 s (pandas, scipy, Mesa), and a worker whose watch began only
  after it used to outlive a runner killed in that time by as long (3.8-5.2 s).
  Measured on the 2-core machine, 10 ``kill -9`` of a 2-worker sweep each, with
  two busy loops beside it (and without): every process gone 0.08-0.13 s
  (0.04-0.07 s) after the kill in the middle of a run, 0.24-0.32 s (0.09-0.18 s)
  during the workers' start-up (bench/README.md, "Workers after a killed
  runner"; ``tests/test_faults.py``). Processes that were not started by
  multiprocessing (the dashboard's server) call :func:`watch_parent`, which
  checks their parent PID every 0.1 s instead. The resource tracker then exits
  by itself: it ends when the last holder of its pipe does.
  (Linux's ``PR_SET_PDEATHSIG`` is not used: it fires when the *thread* that
  started the child ends, and a pool starts workers from whichever thread
  submits a task.)
* :func:`stop_signals` makes SIGTERM and SIGHUP raise :class:`Stopped` (a
  ``KeyboardInterrupt``) in the main thread, so a batch system's SIGTERM or a
  closed terminal runs the same path as Ctrl-C: finished results are saved,
  workers are stopped, and the command exits with 128 + the signal number.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

PARENT_POLL_SECONDS = 0.1  # how often a process without a lifeline pipe checks for its parent
LIFELINE_THREAD = "lifeline"  # the watching thread's name: a process starts one lifeline, not two
STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s)
INTERRUPT_SIGNALS = (signal.SIGINT, *STOP_SIGNALS)

_watching: int | None = None


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread like Ctrl-C so that interrupted work is saved first."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def signal_of(interrupt: BaseException) -> int:
    """The signal behind an interruption: its ``signum`` if it carries one, else Ctrl-C's SIGINT."""
    return int(getattr(interrupt, "signum", signal.SIGINT))


def exit_code(interrupt: BaseException) -> int:
    """The shell's exit code for a command ended by a signal: 128 + its number (130 for Ctrl-C)."""
    return 128 + signal_of(interrupt)


# The first code a pool worker runs (``exec``'d as the pool's initializer, see worker_initializer): the standard
# library only, so the lifeline holds while the worker goes on to import this package. ``then`` names the pool's
# own initializer ("module:function"), called with ``args`` once the lifeline holds.
_WORKER_START = f"""
import importlib, multiprocessing, os, threading
from multiprocessing.connection import wait

def _hold(sentinel):
    wait([sentinel])  # returns at end of file: the parent's end of the pipe is closed, so the parent is gone
    os._exit(1)

parent = multiprocessing.parent_process()
if parent is not None:
    threading.Thread(target=_hold, args=(parent.sentinel,), name={LIFELINE_THREAD!r}, daemon=True).start()
module, _, name = then.partition(":")
getattr(importlib.import_module(module), name)(*args)
"""


def worker_initializer(then: Callable[..., object], *args: object) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    """``(initializer, initargs)`` for a multiprocessing pool whose workers die with this process from the start.

    The pool's initializer is unpickled in the worker before it runs, and unpickling a function of this package
    imports the whole package first (1-5 s). So the initializer is the builtin ``exec`` with a few lines of
    standard-library code: they start the lifeline thread, then import ``then`` and call it with ``args``.
    """
    return exec, (_WORKER_START, {"then": f"{then.__module__}:{then.__qualname__}", "args": args})


def watch_parent(parent_pid: int | None = None, poll: float = PARENT_POLL_SECONDS) -> None:
    """End this process as soon as ``parent_pid`` (default: the current parent) is no longer its parent.

    Called at the start of a worker or server process; it does nothing if the process already holds a lifeline
    (:func:`worker_initializer`). A child of multiprocessing waits on its parent's pipe and exits the moment it
    closes; any other child checks ``os.getppid()`` every ``poll`` seconds: when the parent dies, the kernel
    re-parents the child (to PID 1 or a subreaper), so a change of parent is the signal on every POSIX system.
    The exit is immediate (``os._exit``): there is nobody left to report to, and a worker in the middle of a run
    must not finish it first.
    """
    global _watching
    expected = os.getppid() if parent_pid is None else parent_pid
    if _watching == expected or _holding_lifeline():
        return
    _watching = expected
    if os.getppid() != expected:  # the parent died before this child got here
        os._exit(1)
    sentinel = _parent_sentinel(expected)

    def watch() -> None:
        if sentinel is not None:
            from multiprocessing.connection import wait

            wait([sentinel])
            os._exit(1)
        stop = threading.Event()
        while not stop.wait(poll):
            if os.getppid() != expected:
                os._exit(1)

    threading.Thread(target=watch, name=LIFELINE_THREAD, daemon=True).start()


def _holding_lifeline() -> bool:
    return any(thread.name == LIFELINE_THREAD and thread.is_alive() for thread in threading.enumerate())


def _parent_sentinel(parent_pid: int) -> int | None:
    """The end of multiprocessing's pipe from ``parent_pid`` (readable once it is gone), or None if not its child."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    return parent.sentinel if parent is not None and parent.pid == parent_pid else None


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread (elsewhere: no change)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise_stopped) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP until the block is done, then act on the first one received.

    Used around saving results, so that a save is never half done, half counted, or done twice.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {signum: signal.signal(signum, lambda s, f: received.append(s)) for signum in INTERRUPT_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            signum = received[0]
            handler = previous[signum]
            if callable(handler):
                handler(signum, sys._getframe())
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)  # the default action, now that the save is complete


def interrupt_for(signum: int) -> KeyboardInterrupt:
    """The exception a signal stands for: KeyboardInterrupt for Ctrl-C, :class:`Stopped` for SIGTERM and SIGHUP."""
    return KeyboardInterrupt() if signum == signal.SIGINT else Stopped(signum)


class SafePoints:
    """Ctrl-C, SIGTERM and SIGHUP are held until the main thread waits for its workers, and raised there.

    For code that is not ours to make interrupt-safe (pyabc's database writes through SQLAlchemy, the locks
    of ``concurrent.futures``): an interruption raised in the middle of those can leave a lock held and the
    process hung. Inside :meth:`waiting` the main thread only waits for results, which is safe to interrupt;
    a signal that arrives elsewhere is raised when the next wait begins or the current one ends. Outside the
    main thread this does nothing.
    """

    def __init__(self) -> None:
        self.pending: int | None = None
        self.in_wait = False
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> SafePoints:
        if threading.current_thread() is threading.main_thread():
            self.previous = {signum: signal.signal(signum, self._handle) for signum in INTERRUPT_SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous = {}

    def _handle(self, signum: int, frame: object) -> None:
        if self.in_wait:
            raise interrupt_for(signum)
        self.pending = self.pending or signum

    def check(self) -> None:
        """Raise a signal that arrived since the last safe point."""
        if self.pending is not None:
            signum, self.pending = self.pending, None
            raise interrupt_for(signum)

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """A safe point: interruptions are raised at once while inside."""
        self.check()
        self.in_wait = True
        try:
            yield
        finally:
            self.in_wait = False
        self.check()


__all__ = [
    "SafePoints",
    "Stopped",
    "exit_code",
    "interrupt_for",
    "interrupts_deferred",
    "signal_of",
    "stop_signals",
    "watch_parent",
    "worker_initializer",
]
