"""Keep this command's secrets out of the files Hydra and logging write for it.

Hydra writes the composed config and the command line into `<run>/.hydra/` before mlbp's task
runs, and the job's log file records whatever is logged; a key given on the command line
(`deploy.rest.api_keys=[{key: ...}]`) or resolved from the environment would sit there in clear.
`protect(cfg)` rewrites those files with every secret redacted and installs a logging filter
that redacts the same values from every record from then on (mlbp.engine.secrets).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from mlbp.engine.secrets import redact_text, secret_values


class RedactingFilter(logging.Filter):
    """Replaces secret values in a record's final message (its arguments included)."""

    def __init__(self, values: set[str]) -> None:
        super().__init__()
        self.values = values

    def filter(self, record: logging.LogRecord) -> bool:
        if self.values:
            message = record.getMessage()
            clean = redact_text(message, self.values)
            if clean != message:
                record.msg, record.args = clean, ()
        return True


def values_of(cfg: DictConfig) -> set[str]:
    """The secrets in this command's config, resolved (an unresolvable node is skipped, not fatal)."""
    try:
        plain: Any = OmegaConf.to_container(cfg, resolve=True)
    except Exception:  # noqa: BLE001 - e.g. a missing env var: the command reports it itself
        plain = OmegaConf.to_container(cfg, resolve=False)
    return secret_values(plain)


def protect(cfg: DictConfig, output_dir: str | Path | None) -> set[str]:
    """Redact Hydra's files in `output_dir` and filter every log handler; returns the values."""
    values = values_of(cfg)
    hydra_dir = Path(output_dir) / ".hydra" if output_dir else None
    if hydra_dir is not None and hydra_dir.is_dir():
        for path in hydra_dir.glob("*.yaml"):
            text = path.read_text()
            clean = redact_text(text, values)
            if clean != text:
                path.write_text(clean)
    filt = RedactingFilter(values)
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(filt)
        else:
            for f in handler.filters:
                if isinstance(f, RedactingFilter):
                    f.values = values
    return values
