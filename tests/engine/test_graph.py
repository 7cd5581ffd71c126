"""Graph validation: order, and every problem reported at once with the config key."""

from __future__ import annotations

import pytest

from mlbp.engine.errors import GraphError, Reason
from mlbp.engine.graph import Graph, Node
from tests.engine.stages import Double, Source, Sum


def node(name, stage, needs=None, makes=None):
    needs = needs if needs is not None else {s: s for s in stage.needs}
    makes = makes if makes is not None else {s: s for s in stage.makes}
    return Node(name=name, stage=stage, needs=needs, makes=makes)


def test_order_follows_dependencies_not_declaration():
    g = Graph([node("sum", Sum()), node("double", Double()), node("source", Source("x"))])
    assert g.order == ["source", "double", "sum"]
    assert g.upstream(["double"]) == ["source", "double"]


def test_missing_input_suggests_the_close_name():
    with pytest.raises(GraphError) as err:
        Graph([node("source", Source("x")), node("double", Double(), needs={"numbers": "numbrs"})])
    (problem,) = err.value.problems
    assert problem.reason is Reason.MISSING_INPUT
    assert problem.key == "pipeline.stages.double.needs"
    assert "did you mean 'numbers'" in str(problem)


def test_duplicate_output_and_missing_input_reported_together():
    with pytest.raises(GraphError) as err:
        Graph([
            node("a", Source("x")),
            node("b", Source("y")),
            node("sum", Sum(), needs={"doubled": "nothing_makes_this"}),
        ])
    reasons = sorted(p.reason.value for p in err.value.problems)
    assert reasons == ["duplicate_output", "missing_input"]
    assert "made by both 'a' and 'b'" in str(err.value)


def test_cycle_names_the_loop():
    with pytest.raises(GraphError) as err:
        Graph([
            node("double", Double(), needs={"numbers": "total"}),
            node("sum", Sum()),
        ])
    (problem,) = err.value.problems
    assert problem.reason is Reason.CYCLE
    assert "double" in str(problem) and "sum" in str(problem) and "->" in str(problem)


def test_mermaid_has_an_edge_per_artifact():
    g = Graph([node("source", Source("x")), node("double", Double()), node("sum", Sum())])
    text = g.mermaid()
    assert "source -->|numbers| double" in text
    assert "double -->|doubled| sum" in text
