"""The ``khorsyio`` command."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import msgspec

from khorsyio_gen.dlq import add_dlq_parser, run_dlq
from khorsyio_gen.errors import GenError

__all__ = ["main"]


def versions() -> str:
    """``khorsyio-gen X, khorsyio Y``: the installed distributions (read without importing
    the runtime, which is slow to import)."""
    from importlib.metadata import PackageNotFoundError, version

    from khorsyio_gen import __version__

    out = [f"khorsyio-gen {__version__}"]
    try:
        out.append(f"khorsyio {version('khorsyio')}")
    except PackageNotFoundError:
        out.append("khorsyio (not installed)")
    return ", ".join(out)


class _Version(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(versions())
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="khorsyio", description="khorsyio: the event-graph tool")
    p.add_argument("--root", type=Path, default=Path("."), help="project directory (default .)")
    p.add_argument("--version", action=_Version, help="the versions of khorsyio-gen and khorsyio")
    common = argparse.ArgumentParser(add_help=False)  # --root after the command works too
    common.add_argument("--root", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, parents=[common])

    gen = add("gen", "generate the wiring from khorsyio.yaml")
    mode = gen.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 and list stale files")
    mode.add_argument("--diff", action="store_true", help="print a unified diff, write nothing")
    mode.add_argument("--dry-run", action="store_true", help="list changes, write nothing")
    gen.add_argument(
        "--prune", action="store_true", help="delete unedited files of removed handlers"
    )
    gsub = gen.add_subparsers(dest="gen_command")
    h = gsub.add_parser(
        "handler", help="add a handler to khorsyio.yaml, then generate", parents=[common]
    )
    h.add_argument("name")
    h.add_argument("--domain", required=True)
    h.add_argument("--on", required=True, help="the event it answers")
    h.add_argument("--emits", help="the event it publishes")
    h.add_argument("--input", required=True, help="input contract")
    h.add_argument("--output", help="output contract")
    h.add_argument("--deps", default="", help="comma-separated provider names")
    h.add_argument("--id", help="stable id (default: the name in kebab-case)")

    chk = add("check", "check the spec and the contracts (no app boot)")
    chk.add_argument("--format", choices=["text", "json"], default="text")

    g = add("graph", "export the event graph")
    g.add_argument(
        "--format",
        choices=["mermaid", "dot", "asyncapi"],
        help="default: mermaid, or what the -o file's extension says",
    )
    g.add_argument(
        "-o",
        "--output",
        type=Path,
        help="write to a file: .mmd, .dot/.gv, .json (AsyncAPI), or .png/.svg/.pdf (Graphviz)",
    )

    st = add("status", "stubs, handlers without tests, drift")
    st.add_argument("--format", choices=["text", "json"], default="text")

    t = add("task", "print the task card of a handler for an LLM")
    t.add_argument("handler")

    n = sub.add_parser("new", help="a new project from the template (copier), then gen")
    n.add_argument("directory", type=Path)
    n.add_argument("--defaults", action="store_true", help="take every default answer")
    n.add_argument(
        "-d", "--data", action="append", default=[], metavar="KEY=VALUE", help="an answer"
    )
    n.add_argument("--src", help="another copy of the template (a path or a git URL)")
    n.add_argument("--vcs-ref", help="the template version (a git tag) with --src")
    n.add_argument("--no-git", action="store_true", help="no git init and first commit")

    u = add("update", "take a newer template version (copier update); exit 1 on conflicts")
    u.add_argument("--vcs-ref", help="the template version to update to (default: latest)")
    u.add_argument(
        "-d", "--data", action="append", default=[], metavar="KEY=VALUE", help="a new answer"
    )
    add_dlq_parser(sub, common)
    return p


def _answers(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise GenError(f"--data takes KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


def _new(args: argparse.Namespace) -> int:
    from khorsyio_gen.gen import apply, generate
    from khorsyio_gen.project import commit_new_project, new_project

    dest: Path = args.directory
    new_project(
        dest,
        data=_answers(args.data),
        defaults=args.defaults,
        src=args.src,
        vcs_ref=args.vcs_ref,
    )
    apply(generate(dest.resolve()))
    if not args.no_git and commit_new_project(dest):
        print(f"{dest} is a git repository with a first commit")
    print(f"created {dest}: cd {dest} && make setup && make test && make run")
    return 0


def _update(args: argparse.Namespace) -> int:
    from khorsyio_gen.project import update_project

    root: Path = args.root.resolve()
    left = update_project(root, vcs_ref=args.vcs_ref, data=_answers(args.data))
    if left:
        print("the update left conflicts to resolve in:", file=sys.stderr)
        for path in left:
            print(f"  {path.relative_to(root)}", file=sys.stderr)
        return 1
    print("updated: review `git diff`, then run `make gen check test`")
    return 0


def _files(n: int) -> str:
    return f"{n} file{'' if n == 1 else 's'}"


def _gen(args: argparse.Namespace) -> int:
    from khorsyio_gen.check import errors
    from khorsyio_gen.cst.source import read_source
    from khorsyio_gen.gen import apply, generate

    root: Path = args.root
    if args.gen_command == "handler":
        from khorsyio_gen.gen import atomic_write, validate_spec_text
        from khorsyio_gen.yaml_edit import add_handler

        text = add_handler(
            root,
            args.name,
            domain=args.domain,
            on=args.on,
            input=args.input,
            emits=args.emits,
            output=args.output,
            deps=[d.strip() for d in args.deps.split(",") if d.strip()],
            id=args.id,
        )
        validate_spec_text(root, text)
        atomic_write(root / "khorsyio.yaml", text)
        print(f"added {args.name} to khorsyio.yaml (domain {args.domain})")
    out = generate(root, prune=args.prune)
    for w in out.warnings:  # graph findings do not stop gen; each keeps check's severity
        print(str(w), file=sys.stderr)
    if errors(out.warnings):
        print(
            f"gen went on despite {len(errors(out.warnings))} graph error(s): `khorsyio check` "
            "(and a strict app's start) fail until they are fixed",
            file=sys.stderr,
        )
    for note in out.notes:
        print(note)
    changed = out.changed()
    if args.check:
        for rel in changed:
            print(f"stale: {rel}")
        if not changed:
            print(f"up to date: {_files(len(out.writes))}")
        for e in out.errors:
            print(f"error: {e}", file=sys.stderr)
        return 1 if changed or out.errors else 0
    if args.diff or args.dry_run:
        if args.dry_run and not changed:
            print(f"nothing to do: {_files(len(out.writes))} up to date")
        for rel in changed:
            if args.dry_run:
                print(("delete " if rel not in out.writes else "write ") + rel)
                continue
            source = read_source(out.root, rel)  # its own encoding and line endings
            old = source.text if source is not None else ""
            new = out.writes.get(rel, "")
            sys.stdout.writelines(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    f"a/{rel}",
                    f"b/{rel}",
                )
            )
        for e in out.errors:
            print(f"error: {e}", file=sys.stderr)
        return 1 if out.errors else 0
    done = apply(out)
    for rel in done:
        print(f"{'wrote' if rel in out.writes else 'deleted'} {rel}")
    if not done:
        print(f"nothing to do: {_files(len(out.writes))} up to date")
    for e in out.errors:
        print(f"error: {e}", file=sys.stderr)
    return 1 if out.errors else 0


def _check(args: argparse.Namespace) -> int:
    from khorsyio_gen.check import errors
    from khorsyio_gen.gen import load

    _, problems = load(args.root)
    if args.format == "json":
        print(
            json.dumps(
                {"ok": not errors(problems), "problems": msgspec.to_builtins(problems)}, indent=2
            )
        )
    else:
        for pr in problems:
            print(str(pr))
        n, w = len(errors(problems)), len(problems) - len(errors(problems))
        print(f"{n} error(s), {w} warning(s)" if problems else "ok: the graph is consistent")
    return 1 if errors(problems) else 0


def _graph(args: argparse.Namespace) -> int:
    from khorsyio_gen.check import STRUCTURAL, errors
    from khorsyio_gen.gen import load
    from khorsyio_gen.graph_export import graph_text, output_format, write_graph

    if args.output:
        output_format(args.output, args.format)  # a bad file type is refused before loading
    project, problems = load(args.root)
    fatal = [p for p in errors(problems) if p.code in STRUCTURAL]
    if fatal:
        raise GenError("\n".join(str(p) for p in fatal))
    if args.output:
        fmt = write_graph(project, args.output, args.format)
        print(f"wrote {args.output} ({fmt})")
    else:
        sys.stdout.write(graph_text(project, args.format or "mermaid"))
    return 0


def _status(args: argparse.Namespace) -> int:
    from khorsyio_gen.status import project_status

    st = project_status(args.root.resolve())
    if args.format == "json":
        print(json.dumps(msgspec.to_builtins(st), indent=2))
    else:
        sys.stdout.write(st.text())
    return 0 if st.clean else 1


def _task(args: argparse.Namespace) -> int:
    from khorsyio_gen.task import task_card

    sys.stdout.write(task_card(args.root, args.handler))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {
        "gen": _gen,
        "check": _check,
        "graph": _graph,
        "status": _status,
        "task": _task,
        "new": _new,
        "update": _update,
        "dlq": run_dlq,
    }
    try:
        return commands[args.command](args)
    except GenError as e:
        text = str(e)  # problems from `check` already say "error: ..."
        print(
            text if text.startswith(("error:", "warning:")) else f"error: {text}", file=sys.stderr
        )
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
