"""Reading delimited text files (CSV and friends): one layer for ingest, `mlbp score`, feedback
import and `mlbp init`, so a malformed file gets the same one-line answer everywhere.

What it does before any row is parsed (`TextTable(path)`): finds gzip by its magic bytes (a
`.csv` that is really `.csv.gz`), the encoding by its byte-order mark or by checking the start is
UTF-8 (and refuses naming the line and byte when it is not), refuses binary files by name (a
Parquet or ZIP file given as text), sniffs the delimiter from the header when none is set (and
when one is set but the header does not split on it while another delimiter would, says so),
and checks the header: present, no duplicate names, followed by at least one row.

Then Arrow's CSV reader parses, streaming record batches with bounded memory. A line it cannot
split into the header's number of fields is not dropped and does not shift its neighbours: it is
kept (`rejected`) with its physical line number in the file, its text and the reason. Arrow counts
records, not lines (a quoted field may span lines, and blank lines are not records), so the
physical numbers come from one pass of Python's csv module over the file, up to the last rejected
record, only when there is one. Records in = rows read + rows rejected.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlbp.engine.errors import MlbpError, Reason

CANDIDATES = (",", ";", "\t", "|")
HEAD_BYTES = 1 << 20
MAGIC = {b"PAR1": "a Parquet file (name it .parquet)", b"PK\x03\x04": "a ZIP archive (an Excel workbook? "
         "export the sheet as CSV)", b"\x89PNG": "a PNG image", b"%PDF": "a PDF document",
         b"SQLite format 3": "an SQLite database"}


@dataclass(frozen=True)
class Rejected:
    """A record that could not be split into the header's columns."""

    line: int  # physical line in the file where the record starts (1 = the header)
    text: str
    reason: str


class TextTable:
    """A delimited text file, sniffed and checked on construction; `batches()` reads it."""

    def __init__(self, path: str | Path, *, what: str = "input", key: str = "input", delimiter: str | None = None,
                 encoding: str | None = None, keys: dict[str, str] | None = None) -> None:
        """`what` names the file in messages ("source 'orders'"); `key` is the config key errors
        name, `keys` per problem where they differ ({"path": ..., "delimiter": ..., "encoding": ...})."""
        self.path = Path(path)
        self.what, self.key = what, key
        self.keys = keys or {}
        self.rejected: list[Rejected] = []
        self.records = 0  # data records seen (read + rejected), once batches() has run to the end
        head = self._head()
        self.compression = "gzip" if head[:2] == b"\x1f\x8b" else None
        if self.compression:
            head = self._head(gzipped=True)
        self.encoding = encoding or self._encoding(head)
        self.header, self.delimiter = self._header(delimiter)

    # -- sniffing ----------------------------------------------------------------------------
    def _fail(self, message: str, about: str = "path", **kw: Any) -> MlbpError:
        return MlbpError(f"{self.what} {self.path}: {message}", reason=Reason.SOURCE,
                         key=self.keys.get(about, self.key), **kw)

    def _head(self, gzipped: bool = False) -> bytes:
        if not self.path.exists():
            raise self._fail("no such file", expected="an existing file")
        if self.path.is_dir():
            raise self._fail("is a folder, not a text file")
        try:
            with (gzip.open(self.path, "rb") if gzipped else open(self.path, "rb")) as fh:
                head = fh.read(HEAD_BYTES)
        except (OSError, EOFError) as exc:
            raise self._fail(f"cannot be read: {exc}") from None
        if not head:
            raise self._fail("is empty (0 bytes)", expected="a header row and data rows")
        return head

    def _encoding(self, head: bytes) -> str:
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        for magic, kind in MAGIC.items():
            if head.startswith(magic):
                raise self._fail(f"is {kind}, not delimited text")
        controls = sum(head.count(bytes([b])) for b in (*range(0, 9), *range(14, 32)))
        if controls > max(8, len(head) // 20):  # text has a few at most (a stray NUL is data)
            raise self._fail("holds binary data, not delimited text")
        try:  # the last few bytes may cut a character in two: not an error
            codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < HEAD_BYTES)
        except UnicodeDecodeError as exc:
            line = head[: exc.start].count(b"\n") + 1
            raise self._fail(f"line {line} is not UTF-8 text (byte 0x{head[exc.start]:02X})", about="encoding",
                             fix="convert the file to UTF-8, or name its encoding (e.g. latin-1 or cp1252)") from None
        return "utf-8"

    def _text(self) -> io.TextIOBase:
        raw = gzip.open(self.path, "rb") if self.compression else open(self.path, "rb")  # noqa: SIM115
        return io.TextIOWrapper(raw, encoding=self.encoding, newline="")

    def _header(self, delimiter: str | None) -> tuple[list[str], str]:
        with self._text() as fh:
            first = fh.readline(HEAD_BYTES)
        splits = {d: next(csv.reader([first], delimiter=d), []) for d in CANDIDATES}
        if not first.strip():
            raise self._fail("has no header row", expected="a first line naming the columns", got="an empty line")
        best = max(CANDIDATES, key=lambda d: len(splits[d]))
        if delimiter is None:
            delimiter = best if len(splits[best]) > 1 else ","
        elif len(next(csv.reader([first], delimiter=delimiter), [])) == 1 and len(splits[best]) > 1:
            shown = "\\t" if best == "\t" else best
            raise self._fail(f"the header is one column {first.strip()[:60]!r}; it looks delimited by {shown!r}",
                             about="delimiter",
                             expected=repr(shown), got=repr(delimiter), fix=f"set the delimiter to '{shown}'")
        with self._text() as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            try:
                header = next(reader, [])
                has_rows = any(row for row in reader)
            except (csv.Error, UnicodeDecodeError) as exc:
                raise self._fail(f"cannot be read as delimited text: {exc}") from None
        if not header or all(not h.strip() for h in header):
            raise self._fail("has no header row", expected="a first line naming the columns")
        seen: dict[str, int] = {}
        for i, name in enumerate(header, start=1):
            if name in seen:
                raise self._fail(f"column {name!r} appears twice in the header (columns {seen[name]} and {i})",
                                 fix="rename one of them")
            seen[name] = i
        if not has_rows:
            raise self._fail("has a header but no rows", expected="at least one data row", got="0 rows")
        return header, delimiter

    # -- reading -----------------------------------------------------------------------------
    def batches(self, batch_rows: int = 65_536, column_types: dict[str, Any] | None = None,
                nulls: bool = True) -> Iterator[Any]:
        """Record batches of the well-formed records, every column as text unless `column_types`
        says otherwise (a malformed value is then the caller's to quarantine, not a crashed read).
        `nulls`: empty and NA-like fields are null (else every text is kept as it is).
        `rejected` and `records` are complete once the iterator is exhausted."""
        import pyarrow as pa
        import pyarrow.csv as pc

        bad: list[tuple[int, str, int, int]] = []

        def keep(row: Any) -> str:
            bad.append((row.number, row.text, row.expected_columns, row.actual_columns))
            return "skip"

        types = {n: pa.string() for n in self.header} | (column_types or {})
        width = sum(len(h) + 1 for h in self.header)
        source = pa.input_stream(str(self.path), compression=self.compression)
        try:
            reader = pc.open_csv(
                source,
                read_options=pc.ReadOptions(use_threads=False, column_names=self.header, skip_rows=1,
                                            encoding="utf8" if self.encoding == "utf-8-sig" else self.encoding,
                                            block_size=max(1 << 20, 8 * width)),
                parse_options=pc.ParseOptions(delimiter=self.delimiter, newlines_in_values=True,
                                              invalid_row_handler=keep),
                convert_options=pc.ConvertOptions(column_types=types, strings_can_be_null=nulls,
                                                  quoted_strings_can_be_null=nulls))
            rows = 0
            for batch in _rebatched(reader, batch_rows):
                rows += batch.num_rows
                yield batch
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise self._fail(f"cannot be parsed: {str(exc).splitlines()[0][:300]}",
                             fix="check the delimiter, the quoting and the encoding") from None
        finally:
            source.close()
        self.rejected = self._physical(bad)
        self.records = rows + len(bad)

    def read_all(self, column_types: dict[str, Any] | None = None, nulls: bool = True) -> Any:
        """The whole table (see batches())."""
        import pyarrow as pa

        batches = list(self.batches(column_types=column_types, nulls=nulls))
        schema = batches[0].schema if batches else pa.schema([(n, pa.string()) for n in self.header])
        return pa.Table.from_batches(batches, schema=schema)

    def _physical(self, bad: list[tuple[int, str, int, int]]) -> list[Rejected]:
        """Arrow's record numbers (1 = the header, blank lines not counted) -> physical lines."""
        if not bad:
            return []
        wanted = {number for number, *_ in bad}
        starts: dict[int, int] = {}
        with self._text() as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            record, before = 0, 0
            for row in reader:
                if row:
                    record += 1
                    if record in wanted:
                        starts[record] = before + 1
                        if len(starts) == len(wanted):
                            break
                before = reader.line_num
        out = []
        for number, text, expected, actual in bad:
            reason = f"expected {expected} fields, got {actual}"
            if "\n" in text or "\r" in text:
                reason += f"; a quoted field runs over {text.count(chr(10)) + 1} lines from here (an unclosed quote?)"
            out.append(Rejected(starts.get(number, number), text, reason))
        return out


def _rebatched(reader: Any, batch_rows: int) -> Iterator[Any]:
    """Arrow's blocks as batches of at most `batch_rows` rows (blocks are sized in bytes)."""
    for batch in reader:
        for start in range(0, batch.num_rows, batch_rows):
            yield batch.slice(start, batch_rows)
