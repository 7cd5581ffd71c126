"""The shared text-table layer over malformed-file classes: each is read with every good row once
and every bad line kept with its physical line number, or refused in one line naming the file
and the line, column or encoding — never a traceback. Records in = read + rejected."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlbp.engine.errors import MlbpError
from mlbp.io.text_table import TextTable

GOOD = "id,name,amount\n1,ann,3.5\n2,bob,4\n3,cy,5\n"


def write(tmp_path: Path, data: bytes | str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def read(path: Path, **kw) -> tuple[TextTable, dict]:
    t = TextTable(path, what="input", **kw)
    table = t.read_all()
    assert t.records == table.num_rows + len(t.rejected)  # nothing lost, nothing doubled
    return t, table.to_pydict()


# (name, file bytes, expected rows of `id`, expected rejected (line, reason fragment))
READABLE = [
    ("clean", GOOD, ["1", "2", "3"], []),
    ("too many fields", "id,name,amount\n1,ann,3.5\n2,bob,4,extra\n3,cy,5\n", ["1", "3"], [(3, "got 4")]),
    ("too few fields", "id,name,amount\n1,ann,3.5\n2,bob\n3,cy,5\n", ["1", "3"], [(3, "got 2")]),
    ("multi-line quoted field before a ragged row",
     'id,name,amount\n1,"ann\nsmith",3.5\n2,bob\n3,cy,5\n4,dee,6\n', ["1", "3", "4"], [(4, "got 2")]),
    ("blank lines between rows", "id,name,amount\n1,ann,3.5\n\n\n2,bob\n3,cy,5\n", ["1", "3"], [(5, "got 2")]),
    ("unclosed quote swallows the rest", 'id,name,amount\n1,ann,3.5\n2,"bob,4\n3,cy,5\n', ["1"],
     [(3, "unclosed quote")]),
    ("utf-8 byte-order mark", codecs.BOM_UTF8 + GOOD.encode(), ["1", "2", "3"], []),
    ("utf-16 with its byte-order mark", GOOD.encode("utf-16"), ["1", "2", "3"], []),
    ("windows line endings", GOOD.replace("\n", "\r\n"), ["1", "2", "3"], []),
    ("mixed line endings", "id,name,amount\r\n1,ann,3.5\n2,bob,4\r3,cy,5\r\n", ["1", "2", "3"], []),
    ("old mac line endings with a ragged row", "id,name,amount\r1,ann\r2,bob,4\r", ["2"], [(2, "got 2")]),
    ("semicolons, sniffed", GOOD.replace(",", ";"), ["1", "2", "3"], []),
    ("tabs, sniffed", GOOD.replace(",", "\t"), ["1", "2", "3"], []),
    ("quoted delimiters and quotes", 'id,name,amount\n1,"a, ""b""",3.5\n2,bob,4\n3,cy,5\n', ["1", "2", "3"], []),
    ("a NUL byte inside a field", "id,name,amount\n1,a\0b,3.5\n2,bob,4\n3,cy,5\n", ["1", "2", "3"], []),
    ("gzip named .csv", gzip.compress(GOOD.encode()), ["1", "2", "3"], []),
    ("no newline at the end", GOOD.rstrip("\n"), ["1", "2", "3"], []),
    ("trailing empty lines", GOOD + "\n\n\n", ["1", "2", "3"], []),
    ("header with markup and brackets", "id,[/x] name,amount [EUR]\n1,ann,3.5\n2,bob,4\n3,cy,5\n",
     ["1", "2", "3"], []),
]


@pytest.mark.parametrize(("case", "data", "ids", "bad"), READABLE, ids=[c[0] for c in READABLE])
def test_readable_classes_keep_every_row_once(tmp_path, case, data, ids, bad):
    t, cols = read(write(tmp_path, data))
    assert cols["id"] == ids
    assert [r.line for r in t.rejected] == [line for line, _ in bad]
    assert all(frag in r.reason for r, (_, frag) in zip(t.rejected, bad, strict=True))


def test_ten_thousand_columns(tmp_path):
    header = ",".join(f"c{i}" for i in range(10_000))
    row = ",".join(str(i) for i in range(10_000))
    t, cols = read(write(tmp_path, f"{header}\n{row}\n{row}\n"))
    assert len(cols) == 10_000 and cols["c9999"] == ["9999", "9999"] and t.rejected == []


def test_rejected_lines_keep_their_text(tmp_path):
    t, _ = read(write(tmp_path, 'id,name,amount\n1,"ann\nsmith",3.5\n2,bob\n'))
    assert t.rejected[0].text == "2,bob" and t.rejected[0].line == 4


# (name, file bytes, what the one line says)
REFUSED = [
    ("empty file", b"", "is empty (0 bytes)"),
    ("whitespace only", b"\n\n  \n", "has no header row"),
    ("header only", b"id,name,amount\n", "has a header but no rows"),
    ("header then blank lines", b"id,name,amount\n\n\n", "has a header but no rows"),
    ("duplicate header", b"id,name,id\n1,2,3\n", "column 'id' appears twice in the header (columns 1 and 3)"),
    ("latin-1 bytes", "id,name\n1,ann\n2,Jos\xe9\n".encode("latin-1"), "line 3 is not UTF-8 text (byte 0xE9)"),
    ("a parquet file named .csv", None, "is a Parquet file (name it .parquet)"),
    ("a zip archive", b"PK\x03\x04" + b"\0" * 200, "is a ZIP archive"),
    ("binary noise", bytes(range(256)) * 40, "binary data"),
]


@pytest.mark.parametrize(("case", "data", "says"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_classes_get_one_line_naming_the_file(tmp_path, case, data, says):
    if data is None:
        pq.write_table(pa.table({"id": [1, 2]}), tmp_path / "in.csv")
        path = tmp_path / "in.csv"
    else:
        path = write(tmp_path, data)
    with pytest.raises(MlbpError) as err:
        read(path)
    message = str(err.value)
    assert says in message and str(path) in message and "\n" not in message


def test_a_set_delimiter_that_does_not_split_the_header_is_named(tmp_path):
    with pytest.raises(MlbpError, match="it looks delimited by ';'"):
        TextTable(write(tmp_path, GOOD.replace(",", ";")), delimiter=",")


def test_a_folder_and_a_missing_file(tmp_path):
    with pytest.raises(MlbpError, match="is a folder"):
        TextTable(tmp_path)
    with pytest.raises(MlbpError, match="no such file"):
        TextTable(tmp_path / "nope.csv")


def test_streaming_batches_are_bounded(tmp_path):
    rows = "".join(f"{i},n{i},{i}.5\n" for i in range(10_000))
    t = TextTable(write(tmp_path, "id,name,amount\n" + rows + "x,y\n"))
    sizes = [b.num_rows for b in t.batches(batch_rows=1000)]
    assert max(sizes) <= 1000 and sum(sizes) == 10_000
    assert t.records == 10_001 and [r.line for r in t.rejected] == [10_002]
