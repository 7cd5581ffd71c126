"""`mlbp ... | head`: when the reader of the command's output leaves early, the command ends
quietly, with its own exit status and no traceback, although SIGPIPE stays ignored (so a server's
write to a closed client socket is an error for that connection only: tests/deploy)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [["--help"], ["--cfg", "job"]])
def test_a_reader_that_leaves_early_ends_the_command_quietly(args, project_dir):
    read, write = os.pipe()
    os.close(read)  # the reader has already gone: every write to the pipe fails
    try:
        proc = subprocess.run([sys.executable, "-m", "mlbp.cli", *args], stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=120, cwd=project_dir)
    finally:
        os.close(write)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr[-2000:]


def test_the_command_ignores_sigpipe_like_any_python_program(project_dir):
    code = "import signal, sys; from mlbp.cli import main; sys.argv=['mlbp','--help']; " \
           "import contextlib, io\nwith contextlib.suppress(SystemExit), contextlib.redirect_stderr(io.StringIO()):\n" \
           "    main()\nprint(signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN, file=sys.stderr)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=project_dir)
    assert proc.stderr.strip().splitlines()[-1] == "True", proc.stderr[-2000:]
