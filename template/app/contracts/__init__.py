"""Contracts: the msgspec Structs events and routes carry. Written first, by you."""
