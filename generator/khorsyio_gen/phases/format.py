"""The merged handler modules made ready to write: formatted where they were ruff-clean,
checked to keep every line of the person's, encoded in their own encoding."""

from __future__ import annotations

from khorsyio_gen.cst.guard import MergeConflict, check_kept
from khorsyio_gen.cst.source import SourceError, encode_source
from khorsyio_gen.fmt import format_if_clean
from khorsyio_gen.phases.merge import Merged
from khorsyio_gen.phases.outcome import Outcome

__all__ = ["format_merged"]


def format_merged(merged: Merged, out: Outcome) -> list[str]:
    """Format merged modules that were ruff-clean before the change, check that nothing of
    the person's went missing, and encode each in its own encoding; the refusals."""
    conflicts: list[str] = []
    done = format_if_clean({rel: (m.before, m.after) for rel, m in merged.items()})
    for rel, m in merged.items():
        code = done[rel]
        try:
            check_kept(rel, m.before, code, m.owned.lines)
            if rel in out.sources:
                out.raw[rel] = encode_source(rel, code, out.sources[rel])
        except (MergeConflict, SourceError) as e:
            conflicts.append(str(e))
        out.writes[rel] = code
    return conflicts
