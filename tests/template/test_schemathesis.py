"""Issue 15: the rendered example app, served for real, passes schemathesis `--checks all`.

Every documented status, media type and schema holds; a value the OpenAPI document allows
is never refused (ST202 found `GET /users?per_page=-160065` answered 400 before UserQuery
stated its bounds) and no input is answered 500. Bounded: 60 examples an operation, a fixed
seed, a 10 s request timeout.
"""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import render, run, serve


def test_the_example_app_passes_schemathesis_with_every_check(tmp_path: Path) -> None:
    project = render(tmp_path / "svc")
    with serve(project, tmp_path / "st.db") as base:
        result = run(
            project,
            "schemathesis",
            "run",
            f"{base}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "60",
            "--seed",
            "20261202",
            "--request-timeout",
            "10",
            env={"NO_COLOR": "1"},
            timeout=240,
        )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    cases = re.search(r"(\d+) generated, (\d+) passed", report)
    assert cases is not None, report
    assert cases.group(1) == cases.group(2), report
    assert int(cases.group(1)) > 0, report
    # no input was a server error: nothing logged at ERROR, no traceback
    server_log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in server_log, server_log[-5000:]
    assert not re.search(r"^ERROR ", server_log, re.M), server_log[-5000:]
