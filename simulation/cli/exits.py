"""How a command ends: its exit code, and the one line on stderr that says why it stopped."""

from __future__ import annotations

import sys

from ..lifeline import exit_code
from ..validation import EXIT_CODE

# 1: the work failed for a reason outside the input (a dead worker, an unreachable cluster, a full disk, a file
# system gone read-only); rerunning the same command resumes a sweep. 2: bad input.
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, EXIT_CODE


def fail(message: str, code: int, prefix: str = "error") -> int:
    """Report a failure as the single line users and scripts can rely on."""
    print(f"{prefix}: {message}", file=sys.stderr)
    return code


def interrupted(stop: KeyboardInterrupt) -> int:
    """Ctrl-C, SIGTERM or SIGHUP: say what was kept (the work's own message, when it has one) and exit 128 + N."""
    message = str(stop)
    if not message.startswith("interrupted: "):
        message = "interrupted" + (f" ({message})" if message else "") + "; nothing was saved"
    print(message, file=sys.stderr)
    return exit_code(stop)
