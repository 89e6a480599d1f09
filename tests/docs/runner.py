"""Run documentation blocks: python as modules (top-level ``await`` allowed), chained by
``continue``, in a private event loop, working directory and environment."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import os
import shutil
import sys
import tempfile
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .snippets import Block

TIMEOUT = 20.0  # seconds one block (or one test_* function it defines) may take
# Settings the snippets must not inherit from the machine running the tests.
ENV_PREFIXES = ("SERVER_", "DB_", "BUS_", "HTTP_", "WS_", "LOG_")


class SnippetFailed(AssertionError):
    """A block (or one of its ``test_*`` functions) raised."""


@dataclass
class Chain:
    """Blocks sharing one namespace, event loop and directory (a block and its ``continue``s)."""

    blocks: list[Block]
    preludes: dict[int, str] = field(default_factory=dict)  # block line -> code run before it
    ns: dict[str, Any] = field(default_factory=dict)
    done: int = 0  # blocks run so far
    failed: str = ""  # the id of the block that failed, if any
    runner: asyncio.Runner | None = None
    root: Path | None = None
    pg_database: str = ""
    module: types.ModuleType | None = None
    opened: list[Any] = field(default_factory=list)  # apps and databases the blocks made
    tables: set[str] = field(default_factory=set)  # Base.metadata's tables before the chain

    @property
    def db(self) -> bool:
        return "db" in self.blocks[0].directives

    def start(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="khorsyio-doc-"))
        self.runner = asyncio.Runner()
        # A real module, so that libraries resolving annotations by module (SQLAlchemy's
        # Mapped[...], msgspec) find the snippet's names.
        self.module = types.ModuleType(f"docsnippet_{uuid.uuid4().hex[:8]}")
        sys.modules[self.module.__name__] = self.module
        self.ns = self.module.__dict__
        self.tables = set(_metadata().tables)
        self.done, self.failed = 0, ""
        if self.db and os.environ.get("KHORSYIO_TEST_PG_DSN"):
            self.pg_database = f"khorsyio_doc_{uuid.uuid4().hex[:12]}"
            _pg_admin(f'create database "{self.pg_database}"')
        _forget_project_modules()

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
        if self.pg_database:
            base = os.environ["KHORSYIO_TEST_PG_DSN"].rsplit("/", 1)[0]
            env["DB_DSN"] = f"{base}/{self.pg_database}"
        return env

    def run_through(self, block: Block, ident: str) -> None:
        """Run the chain's blocks up to and including ``block`` (from the start if needed)."""
        index = self.blocks.index(block)
        if self.runner is None or self.done > index:
            self.stop()
            self.start()
        if self.failed:
            raise SnippetFailed(f"an earlier block of this chain failed: {self.failed}")
        while self.done <= index:
            current = self.blocks[self.done]
            try:
                self._run(current)
            except BaseException:
                self.failed = f"{current.path.name}:{current.line}"
                self.stop()
                raise
            self.done += 1
        if self.done == len(self.blocks):
            self.stop()

    def _run(self, block: Block) -> None:
        assert self.runner is not None
        assert self.root is not None
        with _inside(self.root, self.env()):
            prelude = self.preludes.get(block.line)
            if prelude:
                self._exec(prelude, f"<prelude of {block.path.name}:{block.line}>")
            expected = block.directives.get("raises")
            try:
                self._run_block(block)
            except Exception as e:
                if not expected or type(e).__name__ != expected:
                    raise
            else:
                if expected:
                    raise SnippetFailed(f"the block should raise {expected}, as its page says")
            finally:
                self._track()

    def _run_block(self, block: Block) -> None:
        before = dict(self.ns)
        self._exec("\n" * (block.line - 1) + block.source, str(block.path))
        for name, value in list(self.ns.items()):
            if (
                name.startswith("test")
                and inspect.isfunction(value)
                and before.get(name) is not value
                and value.__code__.co_filename == str(block.path)
            ):
                self._call_test(value)

    def _track(self) -> None:
        from khorsyio import App
        from khorsyio.db import Database

        for value in self.ns.values():
            if isinstance(value, App | Database) and not any(value is o for o in self.opened):
                self.opened.append(value)

    def _exec(self, source: str, filename: str) -> None:
        assert self.runner is not None
        code = compile(source, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, self.ns)
        if inspect.iscoroutine(result):
            self.runner.run(asyncio.wait_for(result, TIMEOUT))

    def _call_test(self, fn: types.FunctionType) -> None:
        """A ``test_*`` function the block defines is called, its parameters taken from the
        block's namespace by name (pytest-fixture style)."""
        assert self.runner is not None
        params = inspect.signature(fn).parameters
        missing = [p for p in params if p not in self.ns]
        if missing:
            raise SnippetFailed(f"{fn.__name__}: no {missing} defined before it")
        result = fn(**{p: self.ns[p] for p in params})
        if inspect.iscoroutine(result):
            self.runner.run(asyncio.wait_for(result, TIMEOUT))

    def stop(self) -> None:
        """Shut down what the blocks left running, close the loop, forget the directory."""
        if self.runner is not None:
            with _inside(self.root or Path.cwd(), self.env()):
                self._track()
                for value in self.opened:
                    with contextlib.suppress(Exception):
                        self._close(value)
                self.runner.close()
            self.runner = None
            self.opened = []
        if self.pg_database:
            _pg_admin(f'drop database if exists "{self.pg_database}" with (force)')
            self.pg_database = ""
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        if self.module is not None:
            sys.modules.pop(self.module.__name__, None)
            self.module = None
            metadata = _metadata()
            for name in set(metadata.tables) - self.tables:  # the snippets' models
                metadata.remove(metadata.tables[name])
        self.ns = {}
        _forget_project_modules()

    def _close(self, value: Any) -> None:
        from khorsyio import App
        from khorsyio.db import Database

        assert self.runner is not None
        if isinstance(value, App) and value.started:
            self.runner.run(value.shutdown())
        elif isinstance(value, Database):
            self.runner.run(value.close())


@contextlib.contextmanager
def _inside(root: Path, env: dict[str, str]) -> Iterator[None]:
    """Run with ``root`` as working directory and first on sys.path, and ``env`` as environ."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(root)
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(root))
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def _metadata() -> Any:
    from khorsyio import Base

    return Base.metadata


def _forget_project_modules() -> None:
    """Drop the ``app`` package a previous block's project put in sys.modules."""
    for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
        del sys.modules[name]


def _pg_admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(os.environ["KHORSYIO_TEST_PG_DSN"])
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())
