"""A person's edits to a generated handler module, and the graph changes of the issue."""

from __future__ import annotations

from pathlib import Path

from .conftest import edit

STUB = """raise NotImplementedError(
            "CreateUser.process is not implemented yet: run `khorsyio task CreateUser`"
        )"""

BODY = """# a person's comment
        log.info("creating %s", data.name)
        user_id = _next_id()
        return UserOut(id=user_id, name=data.name)  # trailing comment"""

DOC_EDIT = "Create a user (a person rewrote this docstring)."

HELPERS = '''

log = logging.getLogger(__name__)


def _next_id() -> int:
    """Helper a person wrote."""
    return 1
'''

EXTRA_METHOD = """

    def extra(self) -> int:
        \"\"\"An extra method.\"\"\"
        return len(self._cache)
"""

CACHE = "        self._cache: dict[str, int] = {}\n"


def personalize(path: Path) -> list[str]:
    """Edit the module like a person would; return the snippets that must survive."""
    edit(
        path,
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nimport logging\n",
    )
    edit(path, "Answer ``user.create`` with ``UserOut``, published as ``user.created``.", DOC_EDIT)
    edit(path, STUB, BODY)
    edit(path, "        self._mailer = mailer\n", "        self._mailer = mailer\n" + CACHE)
    path.write_text(path.read_text() + EXTRA_METHOD[1:] + HELPERS)
    return ["import logging\n", DOC_EDIT, BODY, CACHE, EXTRA_METHOD, HELPERS]


CHANGES: dict[str, list[tuple[str, str]]] = {
    "rename_event": [
        ("on: user.create", "on: user.register"),
        ("event: user.create", "event: user.register"),
    ],
    "change_input": [
        ("input: UserIn\n        output", "input: UserCreated\n        output"),
        ("body: UserIn", "body: UserCreated"),
    ],
    "change_output": [
        ("output: UserOut", "output: UserCreated"),
        ("input: UserOut", "input: UserCreated"),
        ("response: UserOut", "response: UserCreated"),
    ],
    "add_dep": [("deps: [db, mailer]", "deps: [db, mailer, client]")],
    "remove_dep": [("deps: [db, mailer]", "deps: [db]")],
    "change_timeout": [("timeout: 5", "timeout: 9.5")],
    "change_retry": [("retry: {attempts: 3, backoff: 0.1}", "retry: {attempts: 5, backoff: 0.5}")],
    "remove_retry": [("        retry: {attempts: 3, backoff: 0.1}\n", "")],
    "move_domain": [
        ("      CreateUser:\n", "      PLACEHOLDER:\n"),
    ],
    "rename_handler": [("      CreateUser:\n", "      RegisterUser:\n")],
}


def apply_change(spec: Path, name: str) -> None:
    if name == "move_domain":  # CreateUser goes to a new 'account' domain
        text = spec.read_text()
        start = text.index("      CreateUser:")
        end = text.index("      SendWelcome:")
        block = text[start:end]
        text = text[:start] + text[end:]
        text += "  account:\n    handlers:\n" + block
        spec.write_text(text)
        return
    for old, new in CHANGES[name]:
        edit(spec, old, new)


EXPECT: dict[str, list[str]] = {
    "rename_event": ['subscribes_to = "user.register"'],
    "change_input": [
        "class CreateUser(Handler[UserCreated, UserOut]):",
        "data: UserCreated, ctx: Context",
    ],
    "change_output": [
        "class CreateUser(Handler[UserIn, UserCreated]):",
        "ctx: Context) -> UserCreated:",
    ],
    "add_dep": [
        "def __init__(self, db: Database, mailer: Mailer, client: HttpClient) -> None:",
        "        self._mailer = mailer\n        self._client = client\n" + CACHE,
    ],
    "remove_dep": ["def __init__(self, db: Database) -> None:\n        self._db = db\n" + CACHE],
    "change_timeout": ["    timeout = 9.5\n"],
    "change_retry": ["retry = RetryPolicy(attempts=5, backoff=0.5)"],
    "remove_retry": [],
    "move_domain": [],
    "rename_handler": ["class RegisterUser(Handler[UserIn, UserOut]):"],
}

ABSENT: dict[str, list[str]] = {
    "remove_dep": ["Mailer", "self._mailer"],
    "remove_retry": ["RetryPolicy", "retry ="],
    "change_input": ["Handler[UserIn"],
}


def module_path(name: str) -> str:
    if name == "move_domain":
        return "app/domains/account/handlers/create_user.py"
    if name == "rename_handler":
        return "app/domains/user/handlers/register_user.py"
    return "app/domains/user/handlers/create_user.py"
