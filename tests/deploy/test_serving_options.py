"""`deploy.rest` is passed whole to `mlbp serve`, and its serving options whole to the pipeline's
serve_check: every key reaches the server it shapes, and a misspelt key fails naming what was
meant (a nested variant key too)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from mlbp.cli import main
from mlbp.compose.cmd_deploy import build_server
from mlbp.deploy.rest.options import RestSection, ServingOptions
from mlbp.deploy.smoke.serve import ServeCheck
from mlbp.engine.errors import MlbpError

from .test_smoke import _ctx

CHANGED = {"unknown_category": "score", "extra_columns": "error", "fast_path": False, "threads": 2,
           "micro_batch": True, "max_batch": 8, "max_wait_ms": 3.0, "max_body_bytes": 12345}


def _cfg(example, **rest):
    return OmegaConf.create({
        "paths": {"db": example["db"], "state": str(example["root"] / ".mlbp")},
        "registry": {"db": example["db"], "root": str(example["registry"])},
        "deploy": {"rest": {"model": "restaurant-offers", "alias": "champion", "poll_seconds": 0, **rest}},
    })


def test_every_serving_option_reaches_the_server(example):
    assert set(CHANGED) == set(ServingOptions.model_fields)  # a new option joins this test
    default, _ = build_server(_cfg(example))
    changed, rest = build_server(_cfg(example, **CHANGED, api_keys=[{"key": "k" * 20, "scopes": ["predict"]}],
                                      poll_seconds=7, graceful_seconds=3, port=9999))
    assert (rest.port, rest.graceful_seconds) == (9999, 3)
    for server, want in ((default, ServingOptions()), (changed, ServingOptions(**CHANGED))):
        model = server.variants.items["champion"].model
        assert model.checker.unknown_category == want.unknown_category
        assert model.checker.extra_columns == want.extra_columns
        assert (model.compiled is not None) == want.fast_path
        assert model.threads == want.threads
        o = server.options
        assert (o.micro_batch, o.max_batch, o.max_wait_ms, o.max_body_bytes) == \
            (want.micro_batch, want.max_batch, want.max_wait_ms, want.max_body_bytes)
        assert (server.batcher is not None) == want.micro_batch
    assert changed.keys.enabled and not default.keys.enabled and changed.options.poll_seconds == 7


@pytest.mark.parametrize(("rest", "says"), [
    ({"treads": 2}, "deploy.rest.treads: unknown key 'treads'; did you mean 'threads'?"),
    ({"variants": {"b": {"alias": "champion", "wieght": 0.5}}},
     "deploy.rest.variants.b.wieght: unknown key 'wieght'; did you mean 'weight'?"),
    ({"extra_columns": "drop"}, "deploy.rest.extra_columns: Input should be 'ignore' or 'error'"),
    ({"port": 70000}, "deploy.rest.port: Input should be less than or equal to 65535"),
])
def test_a_wrong_rest_key_fails_naming_it(example, rest, says):
    with pytest.raises(MlbpError) as err:
        build_server(_cfg(example, **rest))
    assert says in str(err.value)


def test_mlbp_serve_refuses_a_misspelt_key_before_serving(example, monkeypatch, capsys):
    monkeypatch.chdir(example["root"])
    assert main(["serve", "+deploy.rest.max_batchs=4", "deploy.rest.port=1"]) != 0
    err = capsys.readouterr().err
    assert "did you mean 'max_batch'?" in err and "Traceback" not in err


def test_the_pipeline_checks_the_bundle_with_every_serving_option():
    # serve_check gets each serving option of deploy.rest: none left behind when one is added
    pipeline = OmegaConf.load(Path(__file__).parents[2] / "conf" / "pipeline" / "default.yaml")
    assert set(pipeline.stages.serve_check.serving) == set(ServingOptions.model_fields)
    assert set(ServingOptions.model_fields) < set(RestSection.model_fields)


def test_serve_check_answers_with_the_options_it_was_given(example, tmp_path):
    ServeCheck(serving={"threads": 2, "micro_batch": True, "max_batch": 4}).run(
        _ctx(tmp_path, {"bundle": example["bundle"]}, "serve_check"))
    results = json.loads((tmp_path / "serve_check" / "serve_check.json").read_text())
    assert results["options"]["threads"] == 2 and results["options"]["micro_batch"] is True
    assert set(results["protocols"].values()) == {"ok"}
    # a body limit the golden requests do not fit in: the deployment could not answer them
    small = tmp_path / "small"
    small.mkdir()
    with pytest.raises(MlbpError, match="did not return the golden predictions"):
        ServeCheck(serving={"max_body_bytes": 64}).run(_ctx(small, {"bundle": example["bundle"]}, "serve_check"))
    evidence = json.loads((small / "serve_check" / "serve_check.json").read_text())
    assert all(v.startswith("HTTP 413") for v in evidence["protocols"].values())
