"""asyncpg-style SQL text: ``$1..$n`` placeholders on every backend, and command statuses.

:func:`prepare` scans a query once (cached) the way PostgreSQL's lexer does: ``$n`` is a
placeholder unless it sits inside a string literal (``'...'`` with ``''``, ``E'...'`` with
backslash escapes), a quoted identifier (``"..."``), a dollar-quoted string (``$$...$$``,
``$tag$...$tag$``), a comment (``-- ...``, nested ``/* ... */``) or an identifier
(``a$1``). The result is a :class:`DollarSQL` statement whose placeholders compile to the
dialect's own bind parameters (``$1`` for asyncpg, ``?`` for SQLite), while the text in
between reaches the driver untouched: colons (``::int`` casts, ``':x'`` literals) need no
escaping because SQLAlchemy's ``text()`` parsing is not involved.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement
from sqlalchemy.sql.visitors import InternalTraversal

from khorsyio.db.errors import PlaceholderError

__all__ = ["DollarSQL", "Prepared", "command_status", "prepare"]

_SPECIAL = re.compile(r"['\"$/-]")
_IDENT = re.compile(r"[A-Za-z0-9_$\x80-\U0010ffff]")
_PARAM = re.compile(r"\$(\d+)")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$")
_WORD_OR_PAREN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*|[()]")


class DollarSQL(Executable, ClauseElement):
    """A statement of literal text and numbered placeholders (``parts``: ``str`` or ``int``)."""

    __visit_name__ = "khorsyio_dollar_sql"
    _traverse_internals = [("sql", InternalTraversal.dp_string)]  # the cache key
    inherit_cache = False

    def __init__(self, sql: str, parts: tuple[str | int, ...]) -> None:
        self.sql = sql
        self.parts = parts
        self.binds: dict[int, BindParameter[Any]] = {
            p: bindparam(f"p{p}") for p in parts if isinstance(p, int)
        }


@compiles(DollarSQL)
def _compile_dollar_sql(element: DollarSQL, compiler: SQLCompiler, **kw: Any) -> str:
    if not compiler.stack:
        compiler.isplaintext = True  # rows described by the cursor, as for text()
    out: list[str] = []
    for part in element.parts:
        if isinstance(part, int):
            out.append(compiler.process(element.binds[part], **kw))
        else:
            out.append(compiler.post_process_text(part))  # type: ignore[no-untyped-call]
    return "".join(out)


class Prepared:
    """A scanned query: the statement to execute, how many arguments it takes, its verb."""

    __slots__ = ("count", "names", "sql", "statement", "tag", "verb")

    def __init__(self, sql: str, parts: tuple[str | int, ...], code: str) -> None:
        self.sql = sql
        indexes = {p for p in parts if isinstance(p, int)}
        if 0 in indexes:
            raise PlaceholderError(f"$0 is not a placeholder (they start at $1) in query: {sql!r}")
        self.count = max(indexes, default=0)
        missing = sorted(set(range(1, self.count + 1)) - indexes)
        if missing:
            gaps = ", ".join(f"${i}" for i in missing)
            raise PlaceholderError(
                f"query uses ${self.count} but never {gaps}: number placeholders "
                f"$1..$n without gaps in query: {sql!r}"
            )
        self.names = tuple(f"p{i}" for i in range(1, self.count + 1))
        self.statement = DollarSQL(sql, parts)
        self.verb, self.tag = _verb_and_tag(code)

    def params(self, args: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
        if len(args) != self.count:
            raise PlaceholderError(
                f"query expects {self.count} argument(s) "
                f"({_range_text(self.count)}), got {len(args)}: {self.sql!r}"
            )
        return dict(zip(self.names, args, strict=True))


def _range_text(n: int) -> str:
    if n == 0:
        return "no placeholders"
    return "$1" if n == 1 else f"$1..${n}"


@lru_cache(maxsize=1024)
def prepare(sql: str) -> Prepared:
    """Scan ``sql`` once; the same text is served from a cache afterwards."""
    parts, code = _scan(sql)
    return Prepared(sql, parts, code)


def _scan(sql: str) -> tuple[tuple[str | int, ...], str]:
    """Split ``sql`` into text and placeholder numbers; also return the code outside literals.

    The code (literals and comments blanked) is what the verb detection reads.
    """
    parts: list[str | int] = []
    code: list[str] = []
    n = len(sql)
    start = 0  # start of the pending text part
    pos = 0  # scanned up to here
    code_from = 0
    while True:
        m = _SPECIAL.search(sql, pos)
        if m is None:
            break
        i = m.start()
        c = sql[i]
        skip_to = -1
        if c == "'":
            escapes = i > 0 and sql[i - 1] in "eE" and (i < 2 or not _IDENT.match(sql[i - 2]))
            skip_to = _end_of_quoted(sql, i, "'", escapes)
        elif c == '"':
            skip_to = _end_of_quoted(sql, i, '"', False)
        elif c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            skip_to = n if j < 0 else j
        elif c == "/" and sql.startswith("/*", i):
            skip_to = _end_of_block_comment(sql, i)
        elif c == "$" and not (i > 0 and _IDENT.match(sql[i - 1])):
            p = _PARAM.match(sql, i)
            if p is not None:
                parts.append(sql[start:i])
                parts.append(int(p.group(1)))
                start = pos = p.end()
                continue
            t = _DOLLAR_TAG.match(sql, i)
            if t is not None:
                j = sql.find(t.group(0), t.end())
                skip_to = n if j < 0 else j + len(t.group(0))
        if skip_to < 0:
            pos = i + 1
            continue
        code.append(sql[code_from:i])
        code.append(" ")
        code_from = pos = skip_to
    parts.append(sql[start:])
    code.append(sql[code_from:])
    return tuple(p for p in parts if p != ""), "".join(code)


def _end_of_quoted(sql: str, i: int, quote: str, backslash_escapes: bool) -> int:
    j = i + 1
    n = len(sql)
    while j < n:
        c = sql[j]
        if backslash_escapes and c == "\\":
            j += 2
            continue
        if c == quote:
            if j + 1 < n and sql[j + 1] == quote:  # doubled quote: an escaped quote
                j += 2
                continue
            return j + 1
        j += 1
    return n  # unterminated: the database reports the syntax error


def _end_of_block_comment(sql: str, i: int) -> int:
    depth = 0
    j = i
    n = len(sql)
    while j < n:
        if sql.startswith("/*", j):
            depth += 1
            j += 2
        elif sql.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j
        else:
            j += 1
    return n


_DML = {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE"}
_MODIFIERS = {"OR", "REPLACE", "UNIQUE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL"}
_TWO_WORD_OBJECTS = {"MATERIALIZED", "FOREIGN", "EVENT"}
_FIXED_TAGS = {"TRUNCATE": "TRUNCATE TABLE", "START": "START TRANSACTION", "LOCK": "LOCK TABLE"}


def _verb_and_tag(code: str) -> tuple[str, str]:
    """The statement's main verb (``WITH ... INSERT`` is an INSERT) and its DDL-style tag."""
    words: list[tuple[str, int]] = []  # (WORD, paren depth)
    depth = 0
    for tok in _WORD_OR_PAREN.findall(code):
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        else:
            words.append((tok.upper(), depth))
            if len(words) > 64 and words[0][0] != "WITH":
                break
    if not words:
        return "", ""
    lead = words[0][0]
    first_depth = words[0][1]
    if lead == "WITH":
        for word, d in words[1:]:
            if d == first_depth and word in _DML:
                lead = word
                break
    if lead in ("VALUES", "TABLE"):
        lead = "SELECT"
    if lead in _DML:
        return lead, lead
    if lead in _FIXED_TAGS:
        return lead, _FIXED_TAGS[lead]
    if lead in ("CREATE", "DROP", "ALTER"):
        rest = [w for w, _ in words[1:6]]
        while rest and rest[0] in _MODIFIERS:
            rest.pop(0)
        if rest:
            obj = rest[0]
            if obj in _TWO_WORD_OBJECTS and len(rest) > 1:
                obj = f"{obj} {rest[1]}"
            return lead, f"{lead} {obj}"
    return lead, lead


def command_status(prepared: Prepared, rowcount: int) -> str:
    """An asyncpg-style status: ``INSERT 0 1``, ``UPDATE 2``, ``DELETE 3``, ``SELECT 5``."""
    verb = prepared.verb
    count = max(rowcount, 0)
    if verb == "INSERT":
        return f"INSERT 0 {count}"
    if verb in ("SELECT", "UPDATE", "DELETE", "MERGE"):
        return f"{verb} {count}"
    return prepared.tag
