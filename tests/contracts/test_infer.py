"""`mlbp contract infer`: a starting contract that accepts the data it came from and catches breakage."""

from __future__ import annotations

import yaml
from mlbp.examples.restaurant_offers.generate import generate

from mlbp.cli import main
from mlbp.contracts.infer import contract_yaml, infer_contract
from mlbp.contracts.spec import build_schema
from mlbp.contracts.validate import find_failures


def test_inferred_contract_accepts_its_own_data_and_catches_broken_rows():
    df = generate(n_rows=3000, seed=3, invalid_share=0.0)
    contract = infer_contract(df, "offers", target="redeemed")
    cols = contract["columns"]
    assert cols["email"]["pii"] is True and "regex" in cols["email"]
    assert cols["offer_id"]["unique"] is True
    assert cols["region"]["allowed"] == sorted(df["region"].unique())
    assert cols["sent_at"]["dtype"] == "datetime" and cols["visits_90d"]["dtype"] == "int"
    assert cols["avg_ticket"]["nullable"] is True and cols["avg_ticket"]["min"] == 0
    assert contract["checks"]["target"] == "redeemed"
    text = contract_yaml(contract, "test")
    loaded = yaml.safe_load(text)
    assert loaded["columns"] == cols  # one flow line per column, still the same data
    schema = build_schema(loaded["columns"])
    accepted, cases = find_failures(df, schema)
    assert len(accepted) == len(df) and cases.empty
    broken = df.copy()
    broken.loc[5, "region"] = "atlantis"
    broken.loc[6, "visits_90d"] = -1
    _, cases = find_failures(broken, schema)
    assert sorted(cases["row"]) == [5, 6]


def test_contract_infer_command_writes_a_usable_file(project_dir):
    assert main(["contract", "infer", "conf/contract/mine.yaml", "data.source.n_rows=2000"]) == 0
    spec = yaml.safe_load((project_dir / "conf/contract/mine.yaml").read_text())
    assert set(spec["columns"]) >= {"offer_id", "email", "redeemed"}
    assert main(["contract", "infer", "conf/contract/mine.yaml"]) == 1  # never overwrites silently
