"""``khorsyio status``: stub handlers, handlers without a test, drift between code and spec."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import msgspec

from khorsyio_gen.cst.merge import find_class, find_method, is_stub
from khorsyio_gen.cst.source import SourceError, read_source
from khorsyio_gen.gen import generate
from khorsyio_gen.testsync import STALE_TEST

__all__ = ["Status", "project_status"]


class Status(msgspec.Struct, kw_only=True):
    stubs: list[str] = []
    missing_modules: list[str] = []
    unparsable: list[str] = []
    without_test: list[str] = []
    stale_tests: list[str] = []
    drift: list[str] = []
    orphans: list[str] = []

    @property
    def clean(self) -> bool:
        return not any(
            (
                self.stubs,
                self.missing_modules,
                self.unparsable,
                self.without_test,
                self.stale_tests,
                self.drift,
                self.orphans,
            )
        )

    def text(self) -> str:
        parts: list[str] = []
        for title, items in (
            ("handlers whose process is still a stub", self.stubs),
            ("handlers whose module is missing", self.missing_modules),
            ("handler modules that do not parse", self.unparsable),
            ("handlers without a test", self.without_test),
            ("tests that no longer match their handler", self.stale_tests),
            ("files that differ from the spec (run khorsyio gen)", self.drift),
            ("handlers no longer in the spec", self.orphans),
        ):
            if items:
                parts.append(f"{title}:\n" + "".join(f"  {i}\n" for i in items))
        return "".join(parts) or "all handlers filled and tested; code follows the spec\n"


def project_status(root: Path) -> Status:
    out = generate(root)
    st = Status()
    for h in out.plan.handlers:
        path = root / h.path
        if not path.is_file():
            st.missing_modules.append(f"{h.name}: {h.path}")
        else:
            try:
                source = read_source(root, h.path)
                assert source is not None
                module = cst.parse_module(source.text)
            except SourceError as e:
                st.unparsable.append(f"{h.name}: {e}")
            except cst.ParserSyntaxError:
                st.unparsable.append(f"{h.name}: {h.path}")
            else:
                cls = find_class(module, [h.name])
                proc = None
                if cls is not None and isinstance(cls.body, cst.IndentedBlock):
                    proc = find_method(cls.body.body, "process")
                if is_stub(proc):
                    st.stubs.append(f"{h.name}: {h.path} (khorsyio task {h.name})")
        if not (root / h.test).is_file():
            st.without_test.append(f"{h.name}: {h.test}")
    st.drift = out.changed()
    st.stale_tests = [n for n in out.notes if STALE_TEST in n]
    st.orphans = [n for n in out.notes if "no longer in khorsyio.yaml" in n]
    return st
