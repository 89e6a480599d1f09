"""Text of an example (its name, description, input, output, error) in the generated test:
escaped, so the test stays ruff-clean and means what khorsyio.yaml says."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import SPEC, write_project
from .test_gen import ruff_clean

EXAMPLES = """\
        examples:
          tricky:
            description: "\\u00d7 a backslash \\\\ and three quotes \\"\\"\\" in a description \
that is long enough to be wrapped on more than one line of the docstring"
            input: {name: "\\u0430da \\"q\\" \\\\", email: ada@example.org}
            output: {id: 1, name: "\\u0430da"}
          an error:
            input: {name: "", email: x@example.org}
            error: {code: bad_name, message: "\\u00d7 \\"\\"\\" \\\\"}
"""


def test_example_text_is_escaped_in_the_generated_test(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    spec = SPEC.replace(
        "        retry: {attempts: 3, backoff: 0.1}\n",
        "        retry: {attempts: 3, backoff: 0.1}\n" + EXAMPLES,
    )
    root = write_project(tmp_path / "proj", spec)
    r = cli(root, "gen")
    assert r.code == 0, r.out + r.err
    text = (root / "tests/user/test_create_user.py").read_text(encoding="utf-8")
    assert "\\N{MULTIPLICATION SIGN} a backslash \\\\ and three quotes" in text
    assert "\\N{CYRILLIC SMALL LETTER A}da" in text
    ruff_clean(root)
    fns = {n.name: n for n in ast.parse(text).body if isinstance(n, ast.AsyncFunctionDef)}
    doc = ast.get_docstring(fns["test_create_user_example_tricky"]) or ""
    assert " ".join(doc.split()) == (  # the docstring Python sees is the text written, wrapped
        'Example \'tricky\' of khorsyio.yaml: \u00d7 a backslash \\ and three quotes """ in a '
        "description that is long enough to be wrapped on more than one line of the docstring."
    )
    assert "\n" in doc
