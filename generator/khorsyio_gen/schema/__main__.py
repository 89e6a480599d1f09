"""Rewrite the shipped JSON Schema of khorsyio.yaml."""

from khorsyio_gen.schema import SCHEMA_FILE, render_schema

SCHEMA_FILE.write_text(render_schema(), encoding="utf-8")
print(f"wrote {SCHEMA_FILE}")
