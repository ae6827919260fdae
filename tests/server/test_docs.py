"""The boto3 snippet of docs/server.md runs as written (only the endpoint changes)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from sim.server import ServerHandle, create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "server.md"


def test_quick_start_snippet_runs() -> None:
    snippet = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert snippet is not None
    code = snippet.group(1)
    assert 'ENDPOINT = "http://127.0.0.1:8000"' in code
    with ServerHandle(create_app(None, speed=600.0)) as server:
        code = code.replace("http://127.0.0.1:8000", server.endpoint_url)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(DOC), "exec"), {})
    printed = out.getvalue().splitlines()
    assert printed, "the snippet printed no contact"
    assert all(len(line.split()) >= 3 for line in printed)
