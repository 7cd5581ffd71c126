"""Render the packaged Jinja2 templates into self-contained HTML (no server, images inline)."""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


@lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(loader=PackageLoader("mlbp.report", "templates"), autoescape=select_autoescape(["html", "j2"]))
    e.filters["num"] = _num
    return e


def _num(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def render(template: str, **context: Any) -> str:
    return env().get_template(template).render(**context)


def png_data_uri(fig: Any) -> str:
    """A matplotlib figure as a data: URI, so the report is one file."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
