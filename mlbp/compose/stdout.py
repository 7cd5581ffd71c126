"""Standard output for the `mlbp` command when its reader may leave (`mlbp --help | head`).

Python ignores SIGPIPE, so a write to a pipe whose reader has gone raises BrokenPipeError. The
command used to restore the default signal instead, which ends the process on such a write; but
the same signal ends a server on its next write to any client socket that closed early (one
client that hangs up stopped `mlbp serve`). So the signal stays ignored, and only standard output
is made quiet: once the reader has left, the rest of the output goes to /dev/null and the command
finishes its work, without a traceback.
"""

from __future__ import annotations

import os
from typing import Any, TextIO


class ReaderMayLeave:
    """Wraps a text stream: writes and flushes that find the reader gone are dropped."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._leave()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._leave()

    def _leave(self) -> None:
        """Point the file descriptor at /dev/null, so the buffered rest (and the interpreter's own
        flush at exit) is written there instead of raising again."""
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding, ... of the real stream
        return getattr(self._stream, name)
