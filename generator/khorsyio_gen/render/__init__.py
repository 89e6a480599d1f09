"""Renderers: the text ``khorsyio gen`` writes (formatted afterwards with ruff)."""
