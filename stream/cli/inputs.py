"""Reading JSON Lines inputs for the offline commands (files or ``-`` for stdin)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import NamedTuple

from ..core.errors import CxkpiError


class Line(NamedTuple):
    path: str
    number: int  # 1-based line number in its file, blank lines included
    raw: bytes


def read_lines(paths: list[str]) -> Iterator[Line]:
    """Non-blank lines of every file in order, newline stripped, as bytes (the decoder
    judges the encoding). A file that cannot be opened or read raises CxkpiError: an
    operator's error (exit status 2), unlike a bad line in it."""
    for path in paths:
        try:
            handle = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
            with handle:
                for number, line in enumerate(handle, start=1):
                    line = line.rstrip(b"\r\n")
                    if line.strip():
                        yield Line("<stdin>" if path == "-" else path, number, line)
        except OSError as exc:
            raise CxkpiError(f"cannot read {path}: {exc.strerror or exc}") from None
