"""Child processes that never outlive their supervisor, and graceful Ctrl-C handling.

``cxkpi demo`` runs a broker and a worker as children. A terminal's Ctrl-C reaches the
whole foreground process group, so a child sharing it would start its own shutdown
at the same moment as the supervisor, in no particular order. Instead each child gets
its *own* process group (``start_new_session``) and the supervisor stops it
deliberately: SIGTERM to the group (so whatever the child spawned goes too), SIGKILL
after a timeout. On Linux the child also asks the kernel for SIGTERM should the
supervisor die without cleaning up (``PR_SET_PDEATHSIG``), and an ``atexit`` hook
covers an interpreter that exits on an unexpected exception.

``graceful_signals`` turns the first SIGINT/SIGTERM into an ``asyncio.Event`` so a
command can flush and exit 0; a second one is not ignored (see there).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

__all__ = ["ChildProcess", "graceful_signals"]

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the kernel SIGTERM the child when we die; Linux only.

    libc is resolved here, in the parent: the child between fork and exec may only make
    plain system calls (the parent may have had other threads holding loader locks).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


class ChildProcess:
    """One subprocess in its own process group, its output in a log file.

    ``log=None`` writes to a temporary file (read it with ``log_tail``, deleted by
    ``close``); ``inherit_output=True`` lets the child write to our stdout/stderr.
    Spawn it from the main thread: the parent-death signal fires when the *thread*
    that forked exits.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        name: str,
        env: Mapping[str, str] | None = None,
        log: str | os.PathLike[str] | None = None,
        inherit_output: bool = False,
        stop_timeout: float = 10.0,
    ) -> None:
        self.argv = list(argv)
        self.name = name
        self.env = dict(env) if env is not None else None
        self.log_path = Path(log) if log is not None else None
        self.inherit_output = inherit_output
        self.stop_timeout = stop_timeout
        self._temporary_log = False
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        """Exit status once it has exited (negative: killed by that signal), else None."""
        return self._process.poll() if self._process is not None else None

    def start(self) -> ChildProcess:
        if self._process is not None:
            raise RuntimeError(f"{self.name} is already started")
        handle: IO[bytes] | None = None
        if not self.inherit_output:
            if self.log_path is None:
                fd, path = tempfile.mkstemp(prefix=f"cxkpi-{self.name}-", suffix=".log")
                os.close(fd)
                self.log_path, self._temporary_log = Path(path), True
            # Append mode: the child writes at the end whatever anyone else reads.
            handle = open(self.log_path, "ab")  # noqa: SIM115 - closed right below
        try:
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT if handle is not None else None,
                env=self.env,
                start_new_session=True,  # own process group: our Ctrl-C is not its Ctrl-C
                preexec_fn=die_with_parent(),  # only a prctl system call
            )
        finally:
            if handle is not None:
                handle.close()  # the child has its own copy
        atexit.register(self.stop)
        return self

    def kill(self) -> None:
        """SIGKILL the whole group now, without waiting (safe in a signal handler)."""
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM the group, SIGKILL it after ``timeout`` s; returns the exit status.

        Idempotent. Blocks up to twice the timeout: call it through
        ``asyncio.to_thread`` from an event loop.
        """
        atexit.unregister(self.stop)
        process = self._process
        if process is None:
            return None
        timeout = self.stop_timeout if timeout is None else timeout
        running = process.poll() is None
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout)
        if running:
            # The leader is gone; anything it started in its group goes too. (Only when
            # we saw it alive just now, so the group id cannot have been reused.)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        code = process.poll()
        if code is None:  # pragma: no cover - SIGKILL ignored: report, don't hang
            print(f"cxkpi: {self.name} (pid {process.pid}) did not stop", file=sys.stderr)
        return code

    def close(self) -> None:
        """Stop (if needed) and delete the log file if it was a temporary one."""
        self.stop()
        if self._temporary_log and self.log_path is not None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()
            self._temporary_log = False

    def log_text(self, limit: int = 200_000) -> str:
        """The last ``limit`` bytes of the child's output (empty if none or inherited)."""
        if self.log_path is None:
            return ""
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - limit))
                data = handle.read()
        except OSError:
            return ""
        return data.decode("utf-8", "replace")

    def log_tail(self, lines: int = 25) -> str:
        """The last ``lines`` lines of the child's output, for error messages."""
        text = self.log_text().rstrip()
        return "\n".join(text.splitlines()[-lines:]) if text else f"(no output from {self.name})"


@contextlib.contextmanager
def graceful_signals(
    stop: asyncio.Event,
    on_repeat: Callable[[], None] | None = None,
    signals: Sequence[signal.Signals] = (signal.SIGINT, signal.SIGTERM),
) -> Iterator[None]:
    """While inside, the first SIGINT/SIGTERM sets ``stop`` instead of raising.

    The command then finishes in order (flush, stop children) and exits 0. A repeated
    signal means "now": ``on_repeat`` runs if given (e.g. SIGKILL the children),
    otherwise the signal gets its default handling (a second Ctrl-C raises
    KeyboardInterrupt, a second SIGTERM terminates). Outside the main thread, where
    Python delivers no signals, it does nothing (the caller's loop is not ours to
    steer), so commands stay callable from threads, e.g. in tests.
    """
    loop = asyncio.get_running_loop()
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(sig: signal.Signals) -> None:
        if not stop.is_set():
            stop.set()
        elif on_repeat is not None:
            on_repeat()
        else:  # default handler back, and act on this very signal
            loop.remove_signal_handler(sig)
            signal.raise_signal(sig)

    installed = []
    for sig in signals:
        loop.add_signal_handler(sig, handler, sig)
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
