"""Benchmark of the generator on a synthetic 200-handler graph.

usage: python bench/gen.py [--handlers 200] [--domains 20]

Measures, in one process: loading + checking the spec (``khorsyio check``), a first
``khorsyio gen`` (every file created), a second one (nothing to change: the CI case), and a
regeneration after a graph change touching every handler (a renamed event per domain and a new
timeout everywhere). Targets: gen < 2 s, check < 1 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]  # bench/http.py and friends must not shadow the standard library

from khorsyio_gen.gen import apply, generate, load


def write_project(root: Path, handlers: int, domains: int) -> None:
    per = max(1, handlers // domains)
    contracts = ["import msgspec\n"]
    spec = ["version: 1\nproviders:\n  mailer:\n    type: app.services.mailer:Mailer\ndomains:\n"]
    terminal = []
    for d in range(domains):
        spec.append(f"  d{d}:\n    handlers:\n")
        for i in range(per):
            n = d * per + i
            contracts.append(
                f"\n\nclass Msg{n}(msgspec.Struct):\n    id: int\n    name: str\n"
                f"    tags: list[str] = []\n"
            )
            deps = "[db, mailer]" if n % 2 else "[mailer]"
            spec.append(
                f"      Step{n}:\n        id: step-{n}\n        on: d{d}.e{i}\n"
                f"        emits: d{d}.e{i + 1}\n        input: Msg{n}\n        output: Msg{n + 1}\n"
                f"        deps: {deps}\n        timeout: 5\n"
            )
        spec.append(
            f"    routes:\n      - method: POST\n        path: /d{d}\n        event: d{d}.e0\n"
            f"        reply: d{d}.e1\n        body: Msg{d * per}\n"
            f"        response: Msg{d * per + 1}\n"
        )
        terminal.append(f"d{d}.e{per}")
        contracts.append(f"\n\nclass Msg{(d + 1) * per}x(msgspec.Struct):\n    id: int\n")
    last = domains * per
    contracts.append(f"\n\nclass Msg{last}(msgspec.Struct):\n    id: int\n")
    spec.append("terminal: [" + ", ".join(terminal) + "]\n")
    files = {
        "khorsyio.yaml": "".join(spec),
        "app/__init__.py": "",
        "app/contracts/__init__.py": "",
        "app/contracts/messages.py": "".join(contracts),
        "app/services/__init__.py": "",
        "app/services/mailer.py": "class Mailer:\n    async def send(self, to: str) -> None:\n"
        "        return None\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _cpu() -> float:
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


CPU: dict[str, float] = {}


def timed(label: str, fn, results: dict[str, float]) -> object:  # type: ignore[no-untyped-def]
    t, c = time.perf_counter(), _cpu()
    value = fn()
    results[label] = time.perf_counter() - t
    CPU[label] = _cpu() - c
    return value


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--handlers", type=int, default=200)
    ap.add_argument("--domains", type=int, default=20)
    args = ap.parse_args()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_project(root, args.handlers, args.domains)
        _, problems = timed(
            "check (load spec, import contracts, all checks)", lambda: load(root), results
        )
        errors = [p for p in problems if p.severity == "error"]  # type: ignore[attr-defined]
        if errors:
            print("\n".join(map(str, errors)))
            return 1
        written = timed(
            "gen, first run (create every file)", lambda: apply(generate(root)), results
        )
        again = timed("gen, second run (nothing changes)", lambda: apply(generate(root)), results)
        spec = root / "khorsyio.yaml"
        spec.write_text(spec.read_text().replace("timeout: 5", "timeout: 7"))
        changed = timed(
            "gen after a change to every handler", lambda: apply(generate(root)), results
        )
        check_files = timed("gen --check (compute only)", lambda: generate(root).changed(), results)
        cli = str(Path(sys.executable).with_name("khorsyio"))
        for cmd in (["check"], ["gen", "--check"], ["gen"]):
            label = f"command line: khorsyio {' '.join(cmd)} (with startup)"
            timed(
                label,
                lambda a=cmd: subprocess.run([cli, *a], cwd=root, capture_output=True),
                results,
            )
    print(f"synthetic graph: {args.handlers} handlers in {args.domains} domains")
    print(
        f"  files written on first run: {len(written)}; second run: {len(again)}; "  # type: ignore[arg-type]
        f"after the change: {len(changed)}; stale for --check: {len(check_files)}"
    )  # type: ignore[arg-type]
    print(f"  {'phase':<52} {'wall':>8} {'cpu':>8}   (load average {os.getloadavg()[0]:.1f})")
    for label, seconds in results.items():
        print(f"  {label:<52} {seconds:7.3f}s {CPU[label]:7.3f}s")
    gen_ok = results["gen, first run (create every file)"] < 2.0
    check_ok = results["check (load spec, import contracts, all checks)"] < 1.0
    verdict = {True: "met", False: "MISSED"}
    print(f"targets (in process): gen < 2 s: {verdict[gen_ok]}; check < 1 s: {verdict[check_ok]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
