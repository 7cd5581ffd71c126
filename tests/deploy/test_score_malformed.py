"""`mlbp score` on malformed text files, as a user runs it: each either scores with every
unparseable line kept in `unparsed.parquet` (counts reconciled) or stops with one line naming the
file — never a traceback, never a run that "succeeds" with every row quarantined."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mlbp.cli import main


@pytest.fixture
def rows(example, golden):
    """Ten rows of the model's own inputs, as a DataFrame."""
    return golden.drop(columns=[c for c in golden.columns if c.startswith("expected_")]).head(10)


def _score(example, monkeypatch, path, out, capsys):
    monkeypatch.chdir(example["root"])
    code = main(["score", str(path), f"deploy.score.output={out}", "deploy.batch.n_jobs=1"])
    return code, capsys.readouterr().err


def test_ragged_and_unclosed_quote_lines_are_kept_with_their_line_numbers(example, rows, tmp_path, monkeypatch,
                                                                          capsys):
    text = rows.to_csv(index=False).splitlines()
    width = len(text[0].split(","))
    text.insert(3, ",".join(["1"] * (width + 2)))  # line 4: two fields too many
    text.append('"never closed,' + ",".join(["x"] * (width - 1)))  # the last line opens a quote
    path = tmp_path / "in.csv"
    path.write_text("\n".join(text) + "\n")
    code, err = _score(example, monkeypatch, path, tmp_path / "out", capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "batch.json").read_text())
    unparsed = pd.read_parquet(tmp_path / "out" / "unparsed.parquet")
    assert unparsed["line"].tolist() == [4, 13] and unparsed["reason"].str.startswith("unparseable").all()
    assert summary["rows_unparsed"] == 2 and summary["rows_in"] == 12
    assert summary["rows_in"] == summary["rows_scored"] + summary["rows_quarantined"]
    assert summary["rows_scored"] == 10


@pytest.mark.parametrize("kind", ["semicolons", "utf-16", "gzip named .csv", "windows line endings"])
def test_files_the_layer_can_read_are_scored_in_full(example, rows, tmp_path, monkeypatch, capsys, kind):
    path = tmp_path / "in.csv"
    if kind == "semicolons":  # used to exit 0 with every row quarantined
        rows.to_csv(path, index=False, sep=";")
    elif kind == "utf-16":
        path.write_bytes(rows.to_csv(index=False).encode("utf-16"))
    elif kind == "gzip named .csv":
        rows.to_csv(path, index=False, compression="gzip")
    else:
        rows.to_csv(path, index=False, lineterminator="\r\n")
    code, err = _score(example, monkeypatch, path, tmp_path / "out", capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "batch.json").read_text())
    assert summary["rows_scored"] == 10 and summary["rows_quarantined"] == 0


@pytest.mark.parametrize(("kind", "data", "says"), [
    ("empty", b"", "is empty (0 bytes)"),
    ("header only", None, "has a header but no rows"),
    ("duplicate header", b"a,b,a\n1,2,3\n", "column 'a' appears twice in the header (columns 1 and 3)"),
    ("latin-1", "a,b\n1,Jos\xe9\n".encode("latin-1"), "line 2 is not UTF-8 text (byte 0xE9)"),
    ("parquet named .csv", b"PAR1" + b"\0" * 64, "is a Parquet file"),
    ("header with markup", b"[/x],[bold]b\n1,2\n", "[/x]"),
])
def test_files_that_cannot_be_scored_get_one_line(example, rows, tmp_path, monkeypatch, capsys, kind, data, says):
    path = tmp_path / "in.csv"
    path.write_bytes(data if data is not None else (",".join(rows.columns) + "\n").encode())
    code, err = _score(example, monkeypatch, path, tmp_path / "out", capsys)
    if kind == "header with markup":  # readable, but none of the model's columns: every row quarantined
        assert code == 0 and "[/x]" not in err  # nothing printed it as markup, nothing crashed
        quarantined = pd.read_parquet(tmp_path / "out" / "quarantine")
        assert list(quarantined.columns[:2]) == ["row", "[/x]"]
        return
    assert code != 0
    assert says in err and str(path) in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1
