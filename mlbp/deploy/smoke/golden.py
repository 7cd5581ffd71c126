"""After packaging: the golden examples reproduce exactly from the bundle in a fresh process
(`python -m mlbp.deploy.smoke.golden_process BUNDLE`), through the pipeline and the fast path."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import ClassVar

from mlbp.engine.children import child_env
from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import write_json


class GoldenCheck(Stage):
    """Needs `bundle`; makes `golden_check`."""

    needs: ClassVar[tuple[str, ...]] = ("bundle",)
    makes: ClassVar[tuple[str, ...]] = ("golden_check",)
    check: ClassVar[str | None] = "smoke"  # a hand-off check the promotion policy counts

    def __init__(self, timeout_seconds: float = 120.0) -> None:
        self.timeout_seconds = timeout_seconds

    def run(self, ctx: StageContext) -> None:
        proc = subprocess.run([sys.executable, "-m", "mlbp.deploy.smoke.golden_process", str(ctx.input("bundle"))],
                              capture_output=True, text=True, timeout=self.timeout_seconds, env=child_env())
        lines = proc.stdout.strip().splitlines()
        verdict = json.loads(lines[-1]) if lines else {"ok": False, "problems": [proc.stderr[-2000:]]}
        write_json(verdict, ctx.output("golden_check"), "golden_check.json")
        if proc.returncode != 0 or not verdict.get("ok"):
            raise MlbpError("golden examples do not reproduce from the saved bundle in a fresh process: "
                            + "; ".join(verdict.get("problems", [])), reason=Reason.BUNDLE, key="bundle",
                            fix="re-package with the same library versions; see golden_check.json")
        ctx.note(rows=verdict["rows"], fast_path=verdict.get("fast_path"))
