"""$1..$n placeholders: the scanner alone, then the same edge cases on both databases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khorsyio.db import Database, PlaceholderError
from khorsyio.db.sqltext import _scan, command_status, prepare


def _placeholders(sql: str) -> list[int]:
    return [p for p in prepare(sql).statement.parts if isinstance(p, int)]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select $1, $2", [1, 2]),
        ("select $2, $1, $1", [2, 1, 1]),
        ("select '$1', $1", [1]),
        ("select 'it''s $1', $1", [1]),
        ("select E'\\' $2', $1", [1]),
        ('select "$1col" from t where a = $1', [1]),
        ('select "a""$2" from t where a = $1', [1]),
        ("select $$ $1 $$, $1", [1]),
        ("select $tag$ it's $2 $$ $tag$, $1", [1]),
        ("select 1 -- $2 ignored\n, $1", [1]),
        ("select /* $2 /* nested $3 */ still $4 */ $1", [1]),
        ("select $1::int, $2::text[]", [1, 2]),
        ("select a$1 from t where b = $1", [1]),
        ("select ':name', :name, $1", [1]),
        ("select 'unterminated $1", []),
    ],
)
def test_placeholders_skip_literals_comments_and_identifiers(sql: str, expected: list[int]) -> None:
    assert _placeholders(sql) == expected


def test_text_between_placeholders_is_kept_verbatim() -> None:
    sql = "select $1::int as a, ':x' as \"b:c\" -- $9\n"
    parts = prepare(sql).statement.parts
    assert "".join(p if isinstance(p, str) else f"${p}" for p in parts) == sql


def test_translation_is_cached() -> None:
    assert prepare("select $1 as cached") is prepare("select $1 as cached")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "expects 2 argument(s) ($1..$2), got 0"),
        ((1, 2, 3), "expects 2 argument(s) ($1..$2), got 3"),
    ],
)
def test_wrong_argument_count_is_a_clear_error(args: tuple[int, ...], message: str) -> None:
    with pytest.raises(
        PlaceholderError, match=message.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")
    ):
        prepare("select $1, $2").params(args)
    assert issubclass(PlaceholderError, ValueError)


def test_gaps_and_zero_are_refused() -> None:
    with pytest.raises(PlaceholderError, match=r"never \$2"):
        prepare("select $1, $3")
    with pytest.raises(PlaceholderError, match=r"\$0"):
        prepare("select $0")


@pytest.mark.parametrize(
    ("sql", "rowcount", "status"),
    [
        ("insert into t values ($1)", 1, "INSERT 0 1"),
        ("  -- lead\n INSERT into t select 1", 3, "INSERT 0 3"),
        ("update t set a = 1", 2, "UPDATE 2"),
        ("delete from t", 3, "DELETE 3"),
        ("select * from t", 5, "SELECT 5"),
        ("with x as (select 1) delete from t where a in (select * from x)", 4, "DELETE 4"),
        ("with x as (update t set a = 1 returning a) select * from x", 2, "SELECT 2"),
        ("values (1), (2)", 2, "SELECT 2"),
        ("create table t (a int)", -1, "CREATE TABLE"),
        ("create unique index i on t (a)", -1, "CREATE INDEX"),
        (
            "create or replace function f() returns int as $$ select 1 $$ language sql",
            -1,
            "CREATE FUNCTION",
        ),
        ("drop table if exists t", -1, "DROP TABLE"),
        ("create materialized view v as select 1", -1, "CREATE MATERIALIZED VIEW"),
        ("truncate t", -1, "TRUNCATE TABLE"),
        ("update t set a = 1", -1, "UPDATE 0"),
    ],
)
def test_status_follows_postgres_command_tags(sql: str, rowcount: int, status: str) -> None:
    assert command_status(prepare(sql), rowcount) == status


# -- on both databases ------------------------------------------------------------------------


async def test_dollar_inside_strings_and_casts_reach_the_database(db: Database) -> None:
    row = await db.fetchrow(
        "select $1 as a, '$1 costs $2' as b, 'x:y :z' as c, $2 as d -- $3\n",
        "first",
        "second",
    )
    assert row == {"a": "first", "b": "$1 costs $2", "c": "x:y :z", "d": "second"}


async def test_repeated_and_reordered_placeholders(db: Database) -> None:
    row = await db.fetchrow("select $2 as a, $1 as b, $2 as c", "one", "two")
    assert row == {"a": "two", "b": "one", "c": "two"}


async def test_casts_and_dollar_quotes(db: Database) -> None:
    if db.backend == "postgresql":
        row = await db.fetchrow("select $1::int + 1 as n, $$it's $1$$ as q, $t$ $2 $t$ as t", 41)
        assert row == {"n": 42, "q": "it's $1", "t": " $2 "}
        assert await db.fetchval("select $1::text || ':' || $2::text", "a", "b") == "a:b"
    else:  # SQLite has no :: casts nor dollar quotes; CAST works on both
        assert await db.fetchval("select cast($1 as integer) + 1", "41") == 42


async def test_comments_hide_placeholders(db: Database) -> None:
    value = await db.fetchval("select /* $2 */ $1 -- $3\n", "only")
    assert value == "only"


async def test_too_many_or_too_few_arguments(db: Database) -> None:
    with pytest.raises(PlaceholderError, match=r"expects 1 argument\(s\) \(\$1\), got 2"):
        await db.fetch("select * from users where id = $1", 1, 2)
    with pytest.raises(PlaceholderError, match=r"expects 2 argument\(s\) \(\$1..\$2\), got 1"):
        await db.execute("update users set name = $1 where id = $2", "x")
    with pytest.raises(PlaceholderError, match="expects 0 argument"):
        await db.fetchval("select '$1'", 1)
    with pytest.raises(PlaceholderError, match="got 1"):
        await db.executemany("insert into users (name) values ($1, $2)", [("a", "b"), ("c",)])


# -- property: placeholders are found exactly outside literals and comments ---------------------

_text = st.text(alphabet=st.sampled_from("ab $1'\"-*/:;\\\n$2x"), max_size=12)


def _token() -> st.SearchStrategy[tuple[str, int | None]]:
    placeholder = st.integers(1, 30).map(lambda n: (f"${n}", n))
    plain = st.sampled_from(["select", "a", ",", "::int", "(", ")", "+", "x:y", "1"]).map(
        lambda t: (t, None)
    )
    literal = _text.map(lambda t: ("'" + t.replace("'", "''") + "'", None))
    ident = _text.map(lambda t: ('"' + t.replace('"', '""') + '"', None))
    line_comment = _text.map(lambda t: ("-- " + t.replace("\n", " ") + "\n", None))
    block_comment = _text.map(
        lambda t: ("/* " + t.replace("*/", "").replace("/*", "").rstrip("*/") + " */", None)
    )
    dollar = _text.map(lambda t: ("$q$" + t.replace("$q$", "") + "$q$", None))
    return st.one_of(placeholder, plain, literal, ident, line_comment, block_comment, dollar)


@given(st.lists(_token(), max_size=12))
def test_scanner_finds_exactly_the_placeholders(tokens: list[tuple[str, int | None]]) -> None:
    sql = " ".join(t for t, _ in tokens)
    parts, _code = _scan(sql)
    assert [p for p in parts if isinstance(p, int)] == [n for _, n in tokens if n is not None]
    assert "".join(p if isinstance(p, str) else f"${p}" for p in parts) == sql
