"""Reading and writing a person's Python module in its own encoding and line endings.

A module is read as bytes, decoded the way Python decodes it (a UTF-8 byte order mark, a
PEP 263 coding declaration, else UTF-8) and, when every line ends in CRLF, turned into LF text
for the merge. Written back, it gets the same encoding, byte order mark and line endings. What
cannot be handled that way (bytes that are not in the declared encoding, mixed line endings, a
character the encoding cannot hold) is refused with a message naming the file: never a
traceback, never a silent conversion of the whole file.
"""

from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

from khorsyio_gen.errors import GenError

__all__ = ["Source", "SourceError", "decode_source", "encode_source", "read_source"]


class SourceError(GenError):
    """A module gen cannot read or write back faithfully (left untouched)."""


@dataclass(frozen=True)
class Source:
    text: str
    """The decoded text, with LF line endings."""
    encoding: str = "utf-8"
    """Python's name of the codec (``utf-8-sig`` keeps a byte order mark)."""
    newline: str = "\n"

    @property
    def plain(self) -> bool:
        return self.encoding == "utf-8" and self.newline == "\n"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_source(rel: str, data: bytes) -> Source:
    """``data`` (a file's bytes) as a :class:`Source`, or :class:`SourceError`."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:
        raise SourceError(f"{rel}: {e.msg}; the file is left untouched") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        declared = "" if encoding in ("utf-8", "utf-8-sig") else f" (declared {encoding})"
        raise SourceError(
            f"{rel}:{_line_of(data, e.start)}: byte {data[e.start]:#04x} is not valid "
            f"{encoding}{declared}; Python cannot import the file either: save it as UTF-8 "
            "(or declare its encoding in a `# -*- coding: ... -*-` line). The file is left "
            "untouched"
        ) from None
    encoding = codecs.lookup(encoding).name
    crlf = text.count("\r\n")
    lone_cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    if lone_cr or (crlf and lf):
        raise SourceError(
            f"{rel}: mixed line endings ({crlf} CRLF, {lf} LF, {lone_cr} CR): gen would not "
            "know which to write; save the file with one kind of line ending. The file is "
            "left untouched"
        )
    newline = "\r\n" if crlf else "\n"
    return Source(text.replace("\r\n", "\n") if crlf else text, encoding, newline)


def read_source(root: Path, rel: str) -> Source | None:
    """The module at ``root / rel`` (None when there is no such file)."""
    path = root / rel
    if not path.is_file():
        return None
    return decode_source(rel, path.read_bytes())


def encode_source(rel: str, text: str, like: Source) -> bytes:
    """``text`` (LF line endings) in the encoding and line endings of ``like``."""
    if like.newline != "\n":
        text = text.replace("\n", like.newline)
    try:
        return text.encode(like.encoding)
    except UnicodeEncodeError as e:
        line = text.count(like.newline, 0, e.start) + 1
        raise SourceError(
            f"{rel}:{line}: {text[e.start]!r} (written by gen, in the docstring or an import) "
            f"cannot be written in {like.encoding}, the file's encoding: save the file as "
            "UTF-8, or edit that text (an edited docstring is yours). The file is left "
            "untouched"
        ) from None
