"""The run graph: nodes bound to artifact names, validated all at once, ordered with graphlib."""

from __future__ import annotations

import difflib
import graphlib
from dataclasses import dataclass, field
from typing import Any

from mlbp.engine.errors import GraphError, MlbpError, Reason
from mlbp.engine.stage import Stage


@dataclass
class Node:
    """A stage plus the artifact names bound to its input and output slots."""

    name: str
    stage: Stage
    needs: dict[str, str]  # slot -> artifact name
    makes: dict[str, str]  # slot -> artifact name
    config: dict[str, Any] = field(default_factory=dict)  # resolved config, for the fingerprint
    key: str = ""  # config key, for errors
    # (key, _target_) of specs the stage builds itself when it runs (a stack's estimator): resolved
    # by the runner before the first stage executes, so building the graph imports no ML library
    deferred_targets: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.key:
            self.key = f"pipeline.stages.{self.name}"


def _close(name: str, options: list[str]) -> str:
    near = difflib.get_close_matches(name, options, n=1)
    return f"did you mean '{near[0]}'?" if near else f"known: {sorted(options)}"


class Graph:
    """An ordered, validated set of nodes. Building it raises one GraphError with every problem."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = {n.name: n for n in nodes}
        self.order = self._validate(nodes)

    @staticmethod
    def _validate(nodes: list[Node]) -> list[str]:
        problems: list[MlbpError] = []
        producer: dict[str, str] = {}
        for n in nodes:
            for artifact in n.makes.values():
                if artifact in producer:
                    problems.append(
                        MlbpError(
                            f"artifact '{artifact}' is made by both '{producer[artifact]}' "
                            f"and '{n.name}'",
                            reason=Reason.DUPLICATE_OUTPUT,
                            key=f"{n.key}.makes",
                            fix="rename one of the outputs",
                        )
                    )
                else:
                    producer[artifact] = n.name
        for n in nodes:
            for slot, artifact in n.needs.items():
                if artifact not in producer:
                    problems.append(
                        MlbpError(
                            f"input '{slot}' needs artifact '{artifact}' that no stage makes; "
                            + _close(artifact, list(producer)),
                            reason=Reason.MISSING_INPUT,
                            key=f"{n.key}.needs",
                            expected="an artifact made by another stage",
                            got=artifact,
                        )
                    )
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for n in nodes:
            deps = {producer[a] for a in n.needs.values() if a in producer}
            sorter.add(n.name, *deps)
        order: list[str] = []
        try:
            order = list(sorter.static_order())
        except graphlib.CycleError as exc:
            loop = exc.args[1]
            problems.append(
                MlbpError(
                    "the stages form a cycle: " + " -> ".join(reversed(loop)),
                    reason=Reason.CYCLE,
                    key="pipeline.stages",
                    fix="one stage in the loop must not need the output of another",
                )
            )
        if problems:
            raise GraphError(problems)
        # keep declaration order where dependencies allow: stable topological order
        position = {n.name: i for i, n in enumerate(nodes)}
        return _stable_order(nodes, producer, position) or order

    def upstream(self, targets: list[str]) -> list[str]:
        """The targets and everything they need, in run order."""
        producer = {a: n.name for n in self.nodes.values() for a in n.makes.values()}
        keep: set[str] = set()
        stack = list(targets)
        while stack:
            name = stack.pop()
            if name in keep:
                continue
            keep.add(name)
            stack += [producer[a] for a in self.nodes[name].needs.values()]
        return [n for n in self.order if n in keep]

    def text(self) -> str:
        lines = []
        for i, name in enumerate(self.order, 1):
            n = self.nodes[name]
            target = f"{type(n.stage).__module__}.{type(n.stage).__qualname__}"
            needs = ", ".join(n.needs.values()) or "-"
            makes = ", ".join(n.makes.values()) or "-"
            lines.append(f"{i:2d}. {name:<12} {target}\n      needs: {needs}\n      makes: {makes}")
        return "\n".join(lines)

    def mermaid(self) -> str:
        producer = {a: n.name for n in self.nodes.values() for a in n.makes.values()}
        lines = ["flowchart LR"]
        for name in self.order:
            lines.append(f"  {name}[{name}]")
        for name in self.order:
            for artifact in self.nodes[name].needs.values():
                lines.append(f"  {producer[artifact]} -->|{artifact}| {name}")
        return "\n".join(lines)


def _stable_order(nodes: list[Node], producer: dict[str, str], position: dict[str, int]) -> list[str]:
    remaining = {n.name: {producer[a] for a in n.needs.values()} for n in nodes}
    done: list[str] = []
    while remaining:
        ready = sorted((n for n, deps in remaining.items() if deps <= set(done)), key=lambda n: position[n])
        if not ready:
            return []
        done.append(ready[0])
        del remaining[ready[0]]
    return done
