"""A run that fails still leaves a report to open and share: which stage failed, the error and
its fix, what did finish, and links to the evidence that exist (the quarantine, the log, the
manifest). Both failures are made on purpose in the bundled example's pipeline."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from mlbp.cli import main


class _Page(HTMLParser):
    """The text a reader sees and the links they can follow."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _open(report: Path) -> tuple[str, list[str]]:
    page = _Page()
    page.feed(report.read_text())
    return " ".join(" ".join(page.text).split()), page.links


def _failed_run(project_dir, *overrides: str) -> tuple[Path, str]:
    run_dir = project_dir / "outputs" / "failed"
    code = main(["experiment=quick", "data.source.n_rows=3000", f"hydra.run.dir={run_dir}", *overrides])
    assert code == 1
    return run_dir, (run_dir / "report.html").read_text()


def test_too_many_bad_rows_leave_a_report_and_the_rows_with_their_reasons(project_dir, capsys):
    run_dir, _ = _failed_run(project_dir, "contract.max_quarantine_share=0.0001", "only=[validate]")
    text, links = _open(run_dir / "report.html")
    assert "Stage validate failed" in text and "failed the contract" in text
    assert "contract.max_quarantine_share" in text and "fix the source data or relax the contract" in text
    assert "ingest" in text and "done" in text  # what did finish
    for name in ("data.parquet", "failures.parquet", "validation.json", "mlbp.log", "run.json"):
        assert any(link.endswith(name) and Path(link.removeprefix("file://")).exists() for link in links), name
    kept = json.loads((run_dir / "quarantine" / "validation.json").read_text())
    assert kept["rows_quarantined"] > 0 and kept["rows_in"] == kept["rows_accepted"] + kept["rows_quarantined"]
    report = json.loads((run_dir / "report.json").read_text())
    assert report["status"] == "failed" and report["failed"]["name"] == "validate"
    assert f"report: {run_dir / 'report.html'}" in capsys.readouterr().err.replace("\n", "")  # rich wraps lines


def test_a_late_stage_failure_reports_every_stage_that_finished(project_dir):
    run_dir, _ = _failed_run(project_dir, "evaluation.decision.rule=youden")
    text, links = _open(run_dir / "report.html")
    assert "Stage evaluate failed" in text and "evaluation.decision.rule" in text and "youden" in text
    report = json.loads((run_dir / "report.json").read_text())
    finished = [s["name"] for s in report["stages"] if s["status"] in ("done", "cached")]
    assert finished[:5] == ["ingest", "validate", "catalog", "assess", "split"] and "train" in finished
    assert any(link.endswith("failures.parquet") for link in links)  # validate's quarantine artifact
