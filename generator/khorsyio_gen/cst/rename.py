"""Follow a handler's move and rename in its test module (imports and references)."""

from __future__ import annotations

import libcst as cst

__all__ = ["rename_in_test"]


class _Rename(cst.CSTTransformer):
    def __init__(self, old_mod: str, new_mod: str, names: dict[str, str]) -> None:
        self.old_mod, self.new_mod = old_mod, new_mod
        self.names = names

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        if original_node.module is None or original_node.relative:
            return updated_node
        mod = cst.Module([]).code_for_node(original_node.module)
        if mod != self.old_mod:
            return updated_node
        return updated_node.with_changes(module=cst.parse_expression(self.new_mod))

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        new = self.names.get(original_node.value)
        return updated_node if new is None else updated_node.with_changes(value=new)


def rename_in_test(source: str, old_mod: str, new_mod: str, names: dict[str, str]) -> str:
    """``source`` importing from ``new_mod`` instead of ``old_mod``, with ``names`` renamed.

    A test that no longer parses is returned unchanged.
    """
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return source
    return module.visit(_Rename(old_mod, new_mod, names)).code
