"""Text from khorsyio.yaml and the contracts made into Python source that ruff accepts as it
is: docstring lines and string literals.

Escapes keep the meaning (the docstring Python sees is the text that was written) while the
source avoids what ``ruff check`` reports: characters ruff confuses with ASCII (RUF001-RUF003,
by ruff's own word rule: a confusable letter inside a word of unambiguous letters is fine),
invisible, control and separator characters, backslashes, triple quotes. They read as
``\\N{MULTIPLICATION SIGN}``. Wrapping never breaks a quoted string, a ``code span`` or an
escape unless it alone is wider than a line; a single word wider than a line stays whole on a
line of its own (ruff's E501 ignores such lines).
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from typing import Any

from khorsyio_gen.render.confusables import CONFUSABLES

__all__ = [
    "display_width",
    "doc_lines",
    "escape",
    "json_literal",
    "str_expr",
    "str_literal",
    "wrap",
]

_ALWAYS = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})  # and confusable non-letters
_SHORT = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_WIDE_RUN = re.compile(r"(?:[^\x00-\x7f]|[A-Za-z0-9])+")  # at least ruff's word, maybe more


def _is_word_char(c: str) -> bool:
    return unicodedata.category(c)[0] in "LN"


def _code(c: str, spaced: bool) -> str:
    if c in _SHORT:
        return _SHORT[c]
    name = unicodedata.name(c, "")
    if name and len(name) <= 40 and (spaced or " " not in name):
        return f"\\N{{{name}}}"
    cp = ord(c)
    return f"\\x{cp:02x}" if cp < 0x100 else (f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}")


def _always(c: str) -> bool:
    """Escaped wherever it is (the word it sits in does not matter)."""
    if c == "\\" or (c < " " or c == "\x7f"):
        return True
    if c.isascii():
        return False
    cat = unicodedata.category(c)
    return cat in _ALWAYS or (ord(c) in CONFUSABLES and cat[0] not in "LN")


def _ambiguous(text: str) -> list[int]:
    """Positions of the confusable letters in ``text`` (source) that ruff reports.

    ruff splits words at non-alphanumeric characters and reports a word's confusables when the
    word has an ASCII letter or digit, or no unambiguous non-ASCII letter. Its alphanumeric
    set (Rust's) lies between the letters and digits (L*, N*) and "anything but ASCII
    punctuation", so a confusable is kept only when both bounds agree it is safe.
    """
    out: list[int] = []
    for run in _WIDE_RUN.finditer(text):
        word, base = run.group(), run.start()
        confusable = {i for i, c in enumerate(word) if ord(c) in CONFUSABLES and _is_word_char(c)}
        if not confusable:
            continue
        if any(c.isascii() for c in word):
            out += sorted(base + i for i in confusable)
            continue
        start = 0  # narrow words: runs of letters and digits
        for i in range(len(word) + 1):
            if i < len(word) and _is_word_char(word[i]):
                continue
            if all(ord(word[j]) in CONFUSABLES for j in range(start, i)):
                out += [base + j for j in range(start, i) if j in confusable]
            start = i + 1
    return out


def escape(text: str, *, quote: str = "doc", at_end: bool = True, spaced: bool = True) -> str:
    """``text`` as the inside of a (non-raw) string literal.

    ``quote="doc"``: inside ``\"\"\"...\"\"\"``: a ``"`` is escaped next to another one, or
    last when ``at_end``. ``quote="str"``: inside ``"..."``: every ``"`` is. ``spaced=False``
    picks escapes without spaces (``\\u00d7``), so that a long word stays one word.
    """
    return "".join(_pieces(text, quote=quote, at_end=at_end, spaced=spaced))


def _pieces(text: str, *, quote: str, at_end: bool, spaced: bool) -> list[str]:
    """:func:`escape`, one piece per character of ``text``."""
    last = len(text) - 1
    pieces = [
        '\\"'
        if c == '"'
        and (
            quote == "str"
            or (at_end and i == last)
            or (i > 0 and text[i - 1] == '"')
            or (i < last and text[i + 1] == '"')
        )
        else (_code(c, spaced) if _always(c) else c)
        for i, c in enumerate(text)
    ]
    return _settle(pieces, spaced)


def _settle(pieces: list[str], spaced: bool) -> list[str]:
    """Escape what ruff would report until nothing is left (an escape ending in a digit,
    such as ``\\u00d7``, joins the next word and may make it ASCII)."""
    while True:
        owner = [k for k, piece in enumerate(pieces) for _ in piece]
        found = _ambiguous("".join(pieces))
        if not found:
            return pieces
        for pos in found:
            pieces[owner[pos]] = _code(pieces[owner[pos]], spaced)


def _char_width(c: str) -> int:
    """At least ruff's width of ``c`` (unicode-width; 2 for symbols, which may be emoji)."""
    if c.isascii():
        return 1
    if unicodedata.east_asian_width(c) in ("W", "F"):
        return 2
    return 1 if unicodedata.category(c)[0] in "LMN" else 2


def display_width(text: str) -> int:
    return sum(_char_width(c) for c in text)


def _spans(text: str) -> list[tuple[int, int]]:
    """Quoted strings and backtick code spans (start, end) that wrapping keeps whole."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        c = text[i]
        end = -1
        if c == "`":
            ticks = len(text[i:]) - len(text[i:].lstrip("`"))
            close = re.compile(rf"(?<!`){'`' * ticks}(?!`)")
            m = close.search(text, i + ticks)
            if m is None:
                i += ticks
                continue
            end = m.end()
        elif c in "\"'" and (i == 0 or not text[i - 1].isalnum()):
            j = i + 1
            while (j := text.find(c, j)) >= 0:
                if j + 1 == len(text) or not text[j + 1].isalnum():
                    end = j + 1
                    break
                j += 1
        if end > i:
            spans.append((i, end))
            i = end
        else:
            i += 1
    return spans


def _atoms(text: str) -> list[str]:
    """``text`` split at spaces, except those inside :func:`_spans`."""
    cuts = [-1]
    inside = {p for a, b in _spans(text) for p in range(a, b)}
    cuts += [i for i, c in enumerate(text) if c == " " and i not in inside]
    cuts.append(len(text))
    return [text[a + 1 : b] for a, b in itertools.pairwise(cuts) if b > a + 1]


def wrap(text: str, width: int, indent: str = "", sub: str = "    ") -> list[str]:
    """``text`` (one line: tabs and line breaks count as spaces) as escaped docstring lines no
    wider than ``width``: the first indented with ``indent``, the next with ``indent + sub``."""
    text = re.sub(r"[\t\n\r]", " ", text)
    lines: list[str] = []
    current = indent
    fresh = True  # nothing on the current line yet

    def put(word: str) -> None:
        nonlocal current, fresh
        if fresh or display_width(current) + 1 + display_width(word) <= width:
            current += word if fresh else " " + word
        else:
            lines.append(current)
            current = indent + sub + word
        fresh = False

    atoms = _atoms(text)
    for n, atom in enumerate(atoms):
        at_end = n == len(atoms) - 1
        room = width - display_width(indent + sub)
        esc = escape(atom, at_end=at_end)
        if display_width(esc) <= room:
            put(esc)
            continue
        words = [w for w in atom.split(" ") if w]
        for k, word in enumerate(words):
            end = at_end and k == len(words) - 1
            esc = escape(word, at_end=end)
            if display_width(esc) > room:  # alone on its line, as one word
                esc = escape(word, at_end=end, spaced=False)
                if not fresh:
                    lines.append(current)
                    current, fresh = indent + sub, True
            put(esc)
    lines.append(current)
    return lines


def doc_lines(text: str, width: int) -> list[str]:
    """A free text (a description) as escaped docstring lines: its lines and indentation
    kept, long lines wrapped, runs of blank lines made one, no blank line at either end."""
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.expandtabs(4).rstrip(" ")
        body = line.lstrip(" ")
        if not body.strip():
            if out and out[-1]:
                out.append("")
            continue
        lead = " " * (len(line) - len(body))
        out += wrap(body, width, lead, "")
    while out and not out[-1]:
        out.pop()
    return out


def str_literal(text: str) -> str:
    """``text`` as a ``"..."`` literal that ruff does not report."""
    return f'"{escape(text, quote="str")}"'


def _cuts(pieces: list[str], width: int) -> list[int]:
    """Where to cut ``pieces`` into literals no wider than ``width``: after a space when the
    part has one (and again before the piece that overflows, when what follows the space is
    still too wide), else inside the word."""
    cuts: list[int] = []
    start, used, space = 0, 2, -1  # 2: the quotes
    for k, piece in enumerate(pieces):
        w = display_width(piece)
        if used + w > width and k > start:
            cut = space + 1 if space >= start else k
            if cut < k and 2 + sum(display_width(p) for p in pieces[cut:k]) + w > width:
                cuts.append(cut)
                cut = k
            cuts.append(cut)
            start, space = cut, -1
            used = 2 + sum(display_width(p) for p in pieces[cut:k])
        used += w
        if piece == " ":
            space = k
    return cuts


def _is_wide(c: str) -> bool:
    return not c.isascii() or c.isalnum()


def _split_words(pieces: list[str], cuts: list[int]) -> list[int]:
    """Unescaped confusables in a word that a cut splits: each part is checked on its own,
    and ruff format may join them again, so only an escaped confusable is safe in both."""
    out: list[int] = []
    for cut in cuts:
        if not (_is_wide(pieces[cut - 1][-1]) and _is_wide(pieces[cut][0])):
            continue
        word: list[int] = []
        k = cut - 1
        while k >= 0 and all(_is_wide(c) for c in pieces[k]):
            word.append(k)
            k -= 1
        k = cut
        while k < len(pieces) and all(_is_wide(c) for c in pieces[k]):
            word.append(k)
            k += 1
        out += [k for k in word if len(pieces[k]) == 1 and ord(pieces[k]) in CONFUSABLES]
    return out


def str_expr(text: str, width: int = 70) -> str:
    """``text`` as one literal, or, when wider than ``width``, as parenthesized adjacent
    literals (ruff format puts each on its line, or joins them back when they fit), cut after
    spaces, or inside a word wider than ``width``."""
    pieces = _pieces(text, quote="str", at_end=True, spaced=True)
    while True:
        cuts = _cuts(pieces, width)
        split = _split_words(pieces, cuts)
        if not split:
            break
        for k in split:
            pieces[k] = _code(pieces[k], True)
        pieces = _settle(pieces, True)
    if not cuts:
        return f'"{"".join(pieces)}"'
    bounds = [0, *cuts, len(pieces)]
    parts = ['"' + "".join(pieces[a:b]) + '"' for a, b in itertools.pairwise(bounds)]
    return "(" + " ".join(parts) + ")"


def json_literal(value: Any) -> str:
    """A JSON value (dicts, lists, text, numbers, booleans, None) as a Python literal that
    ruff accepts: every text through :func:`str_expr` (escaped, cut when long)."""
    if isinstance(value, str):
        return str_expr(value)
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f'float("{value!r}")'
    if isinstance(value, dict):
        items = ", ".join(f"{json_literal(k)}: {json_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(json_literal(v) for v in value) + "]"
    raise TypeError(f"not a JSON value: {value!r}")
