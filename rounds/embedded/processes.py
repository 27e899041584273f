"""Starting, watching and stopping the child processes of the embedded default."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

DEFAULT_STOP_GRACE_SECONDS = 10.0


def spawn(command: Sequence[str], *, env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` with stdout and stderr appended to ``log_path``.

    The child gets a session of its own so that Ctrl-C in the terminal reaches only the supervisor,
    which then stops the children in its own order instead of all of them at once.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        # Popen duplicates the descriptor, so the child keeps writing after this file object closes.
        return subprocess.Popen(  # noqa: S603 - our own commands, never a shell
            list(command),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes], grace_seconds: float = DEFAULT_STOP_GRACE_SECONDS) -> int:
    """SIGTERM the child's process group, SIGKILL it after ``grace_seconds``; return the exit code."""
    if process.poll() is not None:
        return process.returncode
    _signal_group(process, signal.SIGTERM)
    try:
        return process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        return process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    # The child leads its own process group (start_new_session), so this also reaches anything it forked.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def describe_exit(code: int) -> str:
    """How a child ended, in words: ``exited with code 2`` or ``was killed by SIGKILL``."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def log_tail(log_path: Path, lines: int = 25, *, start_offset: int = 0) -> str:
    """The last ``lines`` lines of ``log_path`` written after ``start_offset``, or a note when empty."""
    try:
        with log_path.open("rb") as log:
            log.seek(start_offset)
            text = log.read().decode("utf-8", errors="replace")
    except OSError as exc:
        return f"(could not read {log_path}: {exc.strerror})"
    tail = text.rstrip().splitlines()[-lines:]
    return "\n".join(tail) if tail else f"({log_path} is empty)"


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_keyboard_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM stops the program the way Ctrl-C does, so one path cleans up for both."""
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def signals_ignored() -> Iterator[None]:
    """Within the block, Ctrl-C and SIGTERM are ignored, so a second Ctrl-C cannot cut a shutdown short."""
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    previous_term = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
