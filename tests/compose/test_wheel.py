"""`pip install .` then `mlbp` from any folder: the wheel carries the top-level conf/ as the package
mlbp.conf. Built and installed here into a fresh virtualenv outside the clone (no system
site-packages), so nothing can be read from the source tree by a relative path."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_wheel_installs_outside_the_clone_and_composes_from_an_empty_folder(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--disable-pip-version-check",
                    "-w", str(dist), str(ROOT)], check=True, capture_output=True, timeout=300)
    [wheel] = dist.glob("mlbp-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"mlbp/conf/__init__.py", "mlbp/conf/config.yaml", "mlbp/conf/stack/lightgbm.yaml",
            "mlbp/conf/hydra/launcher/local.yaml", "mlbp/report/templates/run.html.j2",
            "mlbp/examples/restaurant_offers/conf/local/project.yaml",
            "mlbp/examples/restaurant_offers/conf/data/local.yaml", "mlbp/examples/restaurant_offers/generate.py",
            "mlbp/examples/restaurant_offers/source.py", "mlbp/examples/restaurant_offers/README.md"} <= names
    assert not any(n.startswith(("conf/", "examples/")) for n in names)  # shipped inside mlbp, not top-level

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py, mlbp = venv / "bin" / "python", venv / "bin" / "mlbp"
    install = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    where = subprocess.run([str(py), "-c", "import mlbp, mlbp.conf; print(mlbp.__file__); print(mlbp.conf.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where  # the installed copy, not the clone

    empty = tmp_path / "empty"
    empty.mkdir()
    proc = subprocess.run([str(mlbp), "--cfg", "job"], capture_output=True, text=True, timeout=120, cwd=empty)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "pipeline:" in proc.stdout and "stages:" in proc.stdout
