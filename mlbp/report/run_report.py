"""The run report stage: one HTML page for people and one JSON file for machines, in the run folder.

It runs every time (not cached) because it describes *this* run, cache hits included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from mlbp.engine.stage import Stage, StageContext
from mlbp.report.render import render

# artifact name -> the JSON file inside it that the report shows
SECTIONS = {
    "assessment": "assessment.json",
    "quarantine": "validation.json",
    "scorecard": "scorecard.json",
    "registration": "registration.json",
    "scores": "batch.json",
}


class RunReport(Stage):
    """Reads whichever of its inputs exist and writes `report.html` + `report.json` into the run folder."""

    needs: ClassVar[tuple[str, ...]] = ()
    makes: ClassVar[tuple[str, ...]] = ()
    cacheable: ClassVar[bool] = False

    def __init__(self, title: str = "mlbp run") -> None:
        self.title = title

    def run(self, ctx: StageContext) -> None:
        sections: dict[str, Any] = {}
        images: dict[str, list[str]] = {}
        for slot, folder in ctx.inputs.items():
            name = SECTIONS.get(slot)
            if name and (folder / name).exists():
                sections[slot] = json.loads((folder / name).read_text())
            images[slot] = [p.name for p in sorted(Path(folder).glob("*.png"))]
        data = {"title": self.title, "run": _run_summary(ctx.manifest), "sections": sections}
        (ctx.run_dir / "report.json").write_text(json.dumps(data, indent=2, default=str))
        html = render("run.html.j2", **data, images=_inline(ctx.inputs, images))
        (ctx.run_dir / "report.html").write_text(html)
        ctx.note(report=str(ctx.run_dir / "report.html"))
        if "scorecard" in ctx.inputs and (ctx.inputs["scorecard"] / "scorecard.json").exists():
            from mlbp.report.candidate_report import write_candidate_report

            write_candidate_report(ctx.inputs["scorecard"], ctx.run_dir, f"{self.title} · candidate")


def _run_summary(manifest: dict[str, Any]) -> dict[str, Any]:
    stages = []
    for name, rec in manifest.get("stages", {}).items():
        status = "cached" if rec.get("cache_hit") else rec.get("status")
        stages.append({"name": name, "status": "writing this page" if status == "running" else status,
                       "seconds": rec.get("seconds"), "facts": rec.get("facts", {}),
                       "outputs": rec.get("outputs", {})})
    return {"run_id": manifest.get("run_id"), "started": manifest.get("started"), "user": manifest.get("user"),
            "mlbp_version": manifest.get("mlbp_version"), "stages": stages,
            "project": manifest.get("config", {}).get("project")}


def _inline(inputs: dict[str, Path], images: dict[str, list[str]]) -> dict[str, list[str]]:
    import base64

    out = {}
    for slot, names in images.items():
        out[slot] = ["data:image/png;base64," + base64.b64encode((inputs[slot] / n).read_bytes()).decode()
                     for n in names]
    return out
