"""The lake: one immutable hive-partitioned snapshot per content hash; views show the newest."""

from __future__ import annotations

import os
import time

import pandas as pd

from mlbp.data.lake import snapshots, write_snapshot
from mlbp.data.lake_query import query
from mlbp.governance.policy import Policy


def _frame(n: int, start: str = "2026-01-01") -> pd.DataFrame:
    return pd.DataFrame({"k": range(n), "v": [i * 2.0 for i in range(n)],
                         "at": pd.date_range(start, periods=n, freq="7D")})


def test_snapshots_are_content_addressed_and_partitioned(tmp_path):
    lake = tmp_path / "lake"
    a = write_snapshot(_frame(20), lake, "d", "at", "month")
    again = write_snapshot(_frame(20), lake, "d", "at", "month")
    assert a["snapshot"] == again["snapshot"] and len(snapshots(lake)) == 1
    parts = sorted(p.name for p in (lake / "d" / f"snapshot={a['snapshot']}").iterdir())
    assert parts[0] == "_meta.json" and parts[1:4] == ["month=2026-01", "month=2026-02", "month=2026-03"]
    assert a["partition_key"] == "month" and a["rows"] == 20
    b = write_snapshot(_frame(30), lake, "d", None)
    assert b["snapshot"] != a["snapshot"] and b["partition_key"] is None
    assert not list(lake.glob("d/.tmp-*"))  # written to a temp folder, then renamed whole


def test_each_view_is_the_newest_snapshot(tmp_path):
    lake = tmp_path / "lake"
    old = write_snapshot(_frame(20), lake, "d", "at", "month")
    past = time.time() - 60
    os.utime(lake / "d" / f"snapshot={old['snapshot']}" / "_meta.json", (past, past))
    write_snapshot(_frame(35, "2026-03-01"), lake, "d", "at", "month")
    write_snapshot(_frame(5), lake, "other", None)
    policy = Policy()
    table, rules = query(lake, "SELECT (SELECT count(*) FROM d) AS d_rows, (SELECT count(*) FROM other) AS o_rows",
                         policy, "anyone")
    assert table.to_pylist() == [{"d_rows": 35, "o_rows": 5}] and set(rules) == {"d", "other"}
    table, _ = query(lake, "SELECT count(*) AS n FROM d WHERE month = '2026-03'", policy, "anyone")
    assert table.to_pylist()[0]["n"] == 5
