"""Member-level edits of handler modules with libcst (the rest stays byte-identical)."""
