"""The notebook runs from top to bottom (it builds its own database), and stays stripped."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "dial_rates.ipynb"


def test_committed_notebook_has_no_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_notebook_executes(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """SIM_DB is a file path or a SQLAlchemy URL; the notebook fills an empty database."""
    db = str(tmp_path / "dial_rates.db")
    if backend == "postgresql":
        db = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("SIM_DB", db)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute(env=dict(os.environ))
    from sim.store import Store

    store = Store(db)  # built from quickstart on first run
    assert sorted(r.scenario["campaigns"][0]["mode"] for r in store.runs()) == [
        "predictive",
        "progressive",
        "progressive",
    ]
    assert [r.name for r in store.runs()].count("national_4zones") == 1
    store.dispose()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    # The comparison figure, then the three lifecycle figures of `sim plot`.
    assert len(images) >= 4, f"{len(images)} figures drawn, expected 4"
    tables = [str(o.get("data", {}).get("text/plain", "")) for o in outputs]
    assert any("abandonment_rate_connect" in t and "expired_contacts" in t for t in tables)
