"""The run-graph engine: stages, graph validation, content-addressed store, runner, manifest.

It knows nothing of machine learning or of Hydra; practice packages build on it and
`mlbp.compose` turns config into the objects it runs.
"""

from mlbp.engine.errors import GraphError, MlbpError, Reason, StageFailed
from mlbp.engine.graph import Graph, Node
from mlbp.engine.runner import Runner, RunObserver
from mlbp.engine.stage import Stage, StageContext
from mlbp.engine.store import ArtifactStore

__all__ = [
    "ArtifactStore",
    "Graph",
    "GraphError",
    "MlbpError",
    "Node",
    "Reason",
    "RunObserver",
    "Runner",
    "Stage",
    "StageContext",
    "StageFailed",
]
