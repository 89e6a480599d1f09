"""``khorsyio dlq``: list, show, replay and purge an app's dead letters.

Two targets: a running app's admin endpoint (``--url``, the app started with
``BUS_DEAD_LETTER_ADMIN=true``; ``--token``/``--header`` reach its auth hook), or the
app's database (``--db DSN``, else ``DB_DSN`` of the project's ``.env``). Replay needs the
running app, where the handlers live: with a database target it is refused.

Exit codes: 0 done; 1 the operation failed (no such letter, the target unreachable or
refusing, no dead-letter table); 2 a usage mistake (missing ``--yes``, replay without
``--url``, no target at all).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import sys
from pathlib import Path
from typing import Any

from khorsyio_gen.errors import DlqFailed, DlqUsage

__all__ = ["DlqFailed", "DlqUsage", "add_dlq_parser", "run_dlq"]

ADMIN_PATH = "/_khorsyio/dead-letters"


def add_dlq_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``khorsyio dlq list|show|replay|purge`` on the command's subparsers."""
    target = argparse.ArgumentParser(add_help=False)
    where = target.add_argument_group("target (one of; default: DB_DSN of the project's .env)")
    where.add_argument("--url", help="a running app's base URL (BUS_DEAD_LETTER_ADMIN=true)")
    where.add_argument("--db", metavar="DSN", help="the app's database")
    target.add_argument("--token", help="sent as 'Authorization: Bearer TOKEN' (with --url)")
    target.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="an HTTP header for the app's auth hook (with --url; repeatable)",
    )
    target.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    parents = [common, target]
    d = sub.add_parser("dlq", help="dead letters: list, show, replay, purge", parents=[common])
    dsub = d.add_subparsers(dest="dlq_command", required=True)
    ls = dsub.add_parser("list", help="the dead letters, oldest first", parents=parents)
    ls.add_argument("--handler", help="only this handler's")
    ls.add_argument("--limit", type=int, help="at most N")
    ls.add_argument("--json", action="store_true", help="JSON instead of a table")
    sh = dsub.add_parser("show", help="one letter with its event and error (JSON)", parents=parents)
    sh.add_argument("id", type=int)
    rp = dsub.add_parser("replay", help="deliver again (needs --url)", parents=parents)
    which = rp.add_mutually_exclusive_group(required=True)
    which.add_argument("id", type=int, nargs="?")
    which.add_argument("--all", action="store_true", help="every letter (of --handler)")
    rp.add_argument("--handler", help="with --all: only this handler's")
    pg = dsub.add_parser("purge", help="delete letters (needs --yes)", parents=parents)
    pg.add_argument("--handler", help="only this handler's")
    pg.add_argument("--yes", action="store_true", help="really delete them")


def run_dlq(args: argparse.Namespace) -> int:
    """Run one ``dlq`` command; errors are printed as one line, never a traceback."""
    try:
        if args.dlq_command == "purge" and not args.yes:
            raise DlqUsage("purge deletes dead letters for good: add --yes")
        if args.url and args.db:
            raise DlqUsage("give --url or --db, not both")
        if args.url:
            return _over_http(args)
        dsn = args.db or _project_dsn(args.root)
        if args.dlq_command == "replay":
            raise DlqUsage(
                "replay needs the running app, where the handlers are: use --url "
                "(the app with BUS_DEAD_LETTER_ADMIN=true); --db can list, show and purge"
            )
        return asyncio.run(_in_database(args, dsn))
    except DlqUsage as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except DlqFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def _project_dsn(root: Path) -> str:
    from khorsyio.errors import SettingsError
    from khorsyio.settings import Settings

    env_file = root / ".env"
    try:
        settings = Settings.load(env_file=env_file)
    except SettingsError as e:
        raise DlqFailed(str(e)) from None
    if not settings.db_configured:
        raise DlqUsage(
            f"no target: give --url or --db DSN (no DB_DSN in the environment or {env_file})"
        )
    return settings.db.dsn


# -- output ---------------------------------------------------------------------------


def _when(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _print_list(items: list[dict[str, Any]], count: int, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"count": count, "items": items}, indent=2))
        return
    for d in items:
        print(
            f"#{d['id']}  {_when(d['failed_at'])}  {d['handler']}  {d['event_type']}  "
            f"attempts={d['attempts']}  trace={d['trace_id']}  {d['code']}: {d['message']}"
        )
    shown = f"{len(items)} of {count}" if len(items) != count else str(count)
    print(f"{shown} dead letter{'' if count == 1 else 's'}")


# -- over HTTP ------------------------------------------------------------------------


def _headers(args: argparse.Namespace) -> dict[str, str]:
    out: dict[str, str] = {}
    if args.token:
        out["authorization"] = f"Bearer {args.token}"
    for h in args.header:
        name, sep, value = h.partition(":")
        if not sep or not name.strip():
            raise DlqUsage(f"--header takes 'NAME: VALUE', got {h!r}")
        out[name.strip().lower()] = value.strip()
    return out


def _over_http(args: argparse.Namespace) -> int:
    import httpx

    base = args.url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise DlqUsage(f"--url takes http://host:port, got {args.url!r}")
    cmd = args.dlq_command
    handler = getattr(args, "handler", None)
    params = {k: v for k, v in {"handler": handler}.items() if v}
    try:
        with httpx.Client(base_url=base, headers=_headers(args), timeout=args.timeout) as c:
            if cmd == "list":
                if args.limit is not None:
                    params["limit"] = str(args.limit)
                body = _answer(c.get(ADMIN_PATH, params=params), base)
                _print_list(body["items"], body["count"], args.json)
            elif cmd == "show":
                print(json.dumps(_answer(c.get(f"{ADMIN_PATH}/{args.id}"), base), indent=2))
            elif cmd == "replay" and args.all:
                body = _answer(c.post(f"{ADMIN_PATH}/replay", params=params), base)
                print(f"replayed {body['replayed']} dead letter(s)")
            elif cmd == "replay":
                body = _answer(c.post(f"{ADMIN_PATH}/{args.id}/replay"), base)
                print(f"replayed #{args.id} (trace {body['trace_id']})")
            else:
                body = _answer(c.delete(ADMIN_PATH, params=params), base)
                print(f"purged {body['purged']} dead letter(s)")
    except httpx.HTTPError as e:
        raise DlqFailed(f"cannot reach {base}: {type(e).__name__}: {e}") from None
    return 0


def _answer(r: Any, base: str) -> Any:
    try:
        body = r.json()
    except ValueError:
        body = None
    if r.status_code == 200 and isinstance(body, dict):
        return body
    code = body.get("code", "") if isinstance(body, dict) else ""
    message = body.get("error", "") if isinstance(body, dict) else r.text[:200]
    if r.status_code in (404, 405) and code != "unknown_dead_letter":
        raise DlqFailed(
            f"{base} does not serve {ADMIN_PATH} ({r.status_code}): start the app with "
            "BUS_DEAD_LETTER_ADMIN=true and an app.dead_letter_auth hook"
        )
    if r.status_code in (401, 403):
        raise DlqFailed(f"{base} refused ({r.status_code} {code}): check --token / --header")
    raise DlqFailed(f"{message or 'failed'} ({r.status_code} {code})".strip())


# -- in the database ------------------------------------------------------------------


async def _in_database(args: argparse.Namespace, dsn: str) -> int:
    from khorsyio.db import Database
    from khorsyio.db.dead_letters import DatabaseDeadLetters
    from khorsyio.errors import KhorsyioError, UnknownNameError

    try:
        db = Database(dsn, configured=True, pool_min=0, pool_max=1)
    except KhorsyioError as e:
        raise DlqFailed(str(e)) from None
    database = db.url.database or ""
    if db.backend == "sqlite" and database not in ("", ":memory:") and not Path(database).exists():
        raise DlqFailed(f"no SQLite database at {database}")
    store = DatabaseDeadLetters(db, max_size=0)
    try:
        await db.connect()
        await store.open()
        cmd = args.dlq_command
        if cmd == "list":
            items = await store.snapshot(args.handler, args.limit)
            _print_list(items, await store.count(args.handler), args.json)
        elif cmd == "show":
            import msgspec

            letter = await store.get(args.id)
            print(json.dumps(msgspec.to_builtins(letter, enc_hook=repr), indent=2))
        else:
            print(f"purged {await store.purge(args.handler)} dead letter(s)")
    except UnknownNameError as e:
        raise DlqFailed(str(e.args[0])) from None
    except KhorsyioError as e:
        raise DlqFailed(str(e)) from None
    finally:
        await db.close()
    return 0
