"""A person's edits to a generated handler module, and the graph changes of the issue."""

from __future__ import annotations

import re
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


# --- a model of the reference spec, for random graph changes (test_property.py) -------------

NAMES = ("CreateUser", "RegisterUser", "AddUser")
INPUTS = ("UserIn", "UserCreated", "UserOut")
OUTPUTS = ("UserOut", "UserCreated")
DEPS = ("db", "mailer", "client")


class SpecModel:
    """The handler ``create-user`` of the reference project, as data; ``text()`` is the
    whole khorsyio.yaml (its route and SendWelcome follow its contracts)."""

    def __init__(self) -> None:
        self.name, self.domain = "CreateUser", "user"
        self.input, self.output = "UserIn", "UserOut"
        self.deps: list[str] = ["db", "mailer"]
        self.timeout: float | None = 5.0
        self.retry: tuple[int, float] | None = (3, 0.1)
        self.routing = False
        self.present = True

    def copy(self) -> SpecModel:
        new = SpecModel()
        new.__dict__.update(vars(self))
        new.deps = list(self.deps)
        return new

    def apply(self, op: str, n: int) -> None:
        """One graph change; ``n`` picks among its variants."""
        if op == "rename":
            self.name = [x for x in NAMES if x != self.name][n % 2]
        elif op == "move":
            self.domain = "account" if self.domain == "user" else "user"
        elif op == "input":
            self.input = [x for x in INPUTS if x != self.input][n % 2]
        elif op == "output":
            self.output = next(x for x in OUTPUTS if x != self.output)
        elif op == "add_dep":
            missing = [d for d in DEPS if d not in self.deps]
            if missing:
                self.deps.insert(n % (len(self.deps) + 1), missing[n % len(missing)])
        elif op == "remove_dep":
            if self.deps:
                self.deps.pop(n % len(self.deps))
        elif op == "timeout":
            self.timeout = (None, 5.0, None, 9.5)[n % 4]
        elif op == "retry":
            self.retry = (None, (3, 0.1), None, (5, 0.5))[n % 4]
        elif op == "routing":
            self.routing = not self.routing
        else:
            raise ValueError(op)

    def _handler(self) -> str:
        lines = [
            f"      {self.name}:",
            "        id: create-user",
            "        on: user.create",
            "        emits: user.created",
        ]
        if self.routing:
            lines.append("        also_emits: [user.vip]")
        lines += [f"        input: {self.input}", f"        output: {self.output}"]
        lines.append(f"        deps: [{', '.join(self.deps)}]")
        if self.timeout is not None:
            lines.append(f"        timeout: {self.timeout}")
        if self.retry is not None:
            lines.append(f"        retry: {{attempts: {self.retry[0]}, backoff: {self.retry[1]}}}")
        return "\n".join(lines) + "\n"

    def text(self) -> str:
        here = self._handler() if self.present else ""
        out = [
            "version: 1",
            "providers:",
            "  mailer:",
            "    type: app.services.mailer:Mailer",
            "domains:",
            "  user:",
            "    handlers:",
            (here if self.domain == "user" else "")
            + "      SendWelcome:\n"
            + "        id: send-welcome\n"
            + "        on: user.created\n"
            + f"        input: {self.output}\n"
            + "        deps: [mailer]",
            "    routes:",
            "      - method: POST",
            "        path: /users",
            "        event: user.create",
            "        reply: user.created",
            f"        body: {self.input}",
            f"        response: {self.output}",
        ]
        if self.domain == "account":
            out += ["  account:", "    handlers:", here.rstrip("\n") or "      {}"]
        if self.routing:
            out.append("terminal: [user.vip]")
        return "\n".join(out) + "\n"


# --- a person's lines, inserted anywhere they parse ------------------------------------------

KINDS = ("comment", "blank", "statement", "decorator", "method", "attribute", "param")
INDENTS = ("", "    ", "        ", "            ")


def person_lines(kind: str, tag: int, indent: str) -> list[str]:
    if kind == "comment":
        return [f"{indent}# a person's note {tag}"]
    if kind == "blank":
        return [""]
    if kind == "statement":
        return [f"{indent}person_{tag} = {tag}"]
    if kind == "decorator":
        return [f"{indent}@(lambda f, n={tag}: f)"]
    if kind == "method":
        return [f"{indent}def person_{tag}(self) -> int:", f"{indent}    return {tag} + 0"]
    if kind == "attribute":
        return [f"{indent}person_attr_{tag}: int = {tag}"]
    raise ValueError(kind)


def _compiles(text: str) -> bool:
    try:
        compile(text, "<person>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


GEN_LINE = re.compile(
    r"\s*(subscribes_to|publishes|also_publishes|timeout|retry) =|\s*self\._\w+ = \w+$"
    r"|\s*def __init__|from |import |class "
)


def insert_person_line(
    text: str, kind: str, tag: int, at: int, pick: int, near: bool = False
) -> tuple[str, list[str]]:
    """``text`` with a person's line of ``kind`` inserted before line ``at`` (modulo the
    length; with ``near``, before or after the ``at``-th of gen's lines) at one of the
    indentations where it still compiles (``pick`` chooses); the lines that must survive
    every regeneration (stripped; none for a blank line)."""
    if kind == "param":
        head = "    def __init__(self, "
        if head not in text:
            return text, []
        start = text.index(head)
        close = text.index(") -> None:\n", start)
        param = f"person_p_{tag}: int = {tag}"
        assign = f"        self._person_p_{tag} = person_p_{tag}\n"
        body = close + len(") -> None:\n")
        new = text[:close] + f", {param}" + text[close:body] + assign + text[body:]
        return (new, [assign.strip()]) if _compiles(new) else (text, [])
    lines = text.splitlines(keepends=True)
    if near:  # next to one of gen's lines (wiring, __init__, imports), before or after
        gens = [i for i, line in enumerate(lines) if GEN_LINE.match(line)]
        at = gens[at // 2 % len(gens)] + at % 2
    at %= len(lines) + 1
    options = []
    for indent in INDENTS if kind != "blank" else ("",):
        added = [line + "\n" for line in person_lines(kind, tag, indent)]
        candidate = "".join(lines[:at] + added + lines[at:])
        if _compiles(candidate):
            options.append((candidate, [a.strip() for a in added if a.strip()]))
    if not options:
        return text, []
    return options[pick % len(options)]
