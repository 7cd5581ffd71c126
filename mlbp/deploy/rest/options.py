"""The `deploy.rest` section, typed: what `mlbp serve` serves and where (RestSection), and how a
request is answered (ServingOptions), which the pipeline's serve_check also takes whole so the
smoke server answers as the deployment will.

The serving options are a part of the section rather than the section itself because the rest
of it names a port, a registry alias and API keys (read from the environment): none of those
says anything about the bundle a pipeline run checks, and resolving the keys would make every
run need them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from mlbp.engine.sections import Section, load_section


class ServingOptions(Section):
    """How requests are answered (conf/deploy/batch.yaml documents each key)."""

    unknown_category: Literal["reject", "score"] = "reject"
    extra_columns: Literal["ignore", "error"] = "ignore"
    fast_path: bool = True
    threads: int = Field(1, ge=1)
    micro_batch: bool = False
    max_batch: int = Field(64, ge=1)
    max_wait_ms: float = Field(0.0, ge=0)
    max_body_bytes: int = Field(1 << 20, ge=1)

    def load_options(self) -> dict[str, Any]:
        """How each variant's bundle is loaded (mlbp.deploy.runtime.serving.load_serving)."""
        return self.model_dump(include={"unknown_category", "extra_columns", "fast_path", "threads"})

    def server_options(self, **more: Any) -> Any:
        """The app's ServeOptions: body limit and micro-batching, plus `more` (keys, polling)."""
        from mlbp.deploy.rest.app import ServeOptions

        return ServeOptions(max_body_bytes=self.max_body_bytes, micro_batch=self.micro_batch,
                            max_batch=self.max_batch, max_wait_ms=self.max_wait_ms, **more)


class VariantSpec(Section):
    """One entry of deploy.rest.variants: where its model comes from and the traffic it gets."""

    alias: str | None = None
    version: int | None = Field(None, ge=1)
    bundle: str | None = None
    weight: float = Field(1.0, ge=0)
    shadow: bool = False


class RestSection(ServingOptions):
    """All of deploy.rest, as `mlbp serve` uses it."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    model: str
    alias: str | int = "champion"
    bundle: str | None = None
    variants: dict[str, VariantSpec | None] = Field(default_factory=dict)
    api_keys: list[dict[str, Any]] = Field(default_factory=list)  # checked by mlbp.deploy.rest.security
    poll_seconds: float = Field(5.0, ge=0)
    graceful_seconds: float = Field(10.0, ge=0)

    def serving(self) -> ServingOptions:
        return ServingOptions(**self.model_dump(include=set(ServingOptions.model_fields)))


def serving_options(values: Any, key: str = "deploy.rest") -> ServingOptions:
    return load_section(ServingOptions, values, key)


def rest_section(values: Any) -> RestSection:
    return load_section(RestSection, values, "deploy.rest")
