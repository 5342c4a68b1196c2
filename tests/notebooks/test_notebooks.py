"""Every notebook in notebooks/ executes without error, and Futures work inside a kernel's running loop."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))


def _execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_notebook_executes(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSEXPLORE_DATA_DIR", str(tmp_path / "data"))
    nb = nbformat.read(path, as_version=4)
    _execute(nb, path.parent)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []


def test_await_and_result_inside_kernel_loop(tmp_path: Path) -> None:
    """A cell that awaits a Future and one that blocks on .result() both complete (no deadlock)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import asyncio, tsexplore as ts"),
        nbformat.v4.new_code_cell(
            "promise, fut = ts.Promise.new()\n"
            "asyncio.get_running_loop().call_later(0.05, promise.set_result, 41)\n"
            "awaited = await fut\n"
            "print('awaited', awaited + 1)"
        ),
        nbformat.v4.new_code_cell(
            "import threading\n"
            "p2, f2 = ts.Promise.new()\n"
            "threading.Timer(0.05, p2.set_result, args=(7,)).start()\n"
            "print('result', f2.result(timeout=10))"
        ),
        nbformat.v4.new_code_cell(
            "from tsexplore.future import spawn\n"
            "async def work():\n"
            "    await asyncio.sleep(0.01)\n"
            "    return 'io-loop'\n"
            "print('spawned', spawn(work()).result(timeout=10), await spawn(work()))"
        ),
    ]
    _execute(nb, tmp_path)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "awaited 42" in text
    assert "result 7" in text
    assert "spawned io-loop io-loop" in text
