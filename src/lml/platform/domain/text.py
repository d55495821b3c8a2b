"""Text people type (names, e-mail addresses, phone numbers): how it is trimmed, and each rule as one
regular expression that the domain matches and the OpenAPI document states, so that both say the
same thing in every regex dialect a client may use (Python, ECMA-262, Rust): no `\\s`, no `\\d`,
the characters spelled out.

Trimming removes Unicode white space (the `White_Space` property) at both ends, nothing else."""

from __future__ import annotations

import re

# Unicode White_Space, as regex class content; `WHITE_SPACE` are its characters (all below U+3001).
WHITE_SPACE_CLASS = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
CONTROL_CLASS = r"\x00-\x1f\x7f"
SPACE = f"[{WHITE_SPACE_CLASS}]"
WHITE_SPACE = "".join(char for char in map(chr, range(0x3001)) if re.fullmatch(SPACE, char))


def trim(text: str) -> str:
    return text.strip(WHITE_SPACE)


def trimmed_text_pattern(max_length: int, *, refused: str = CONTROL_CLASS, required: bool = True) -> str:
    """Text that, trimmed, is 1 (0 unless `required`) to `max_length` characters, none of them in
    `refused` (regex class content; NUL always); white space around it allowed."""
    refused = refused if "\\x00" in refused else f"\\x00{refused}"
    edge = f"[^{WHITE_SPACE_CLASS}{refused}]"
    core = f"(?:{edge}|{edge}[^{refused}]{{0,{max_length - 2}}}{edge})"
    return f"^{SPACE}*{core}{'' if required else '?'}{SPACE}*$"


def matches(pattern: str, text: str) -> bool:
    """Whether `text` matches an anchored (`^...$`) pattern as JSON Schema means it: Python's `$`
    alone would also match before a final line break."""
    return re.fullmatch(pattern, text) is not None
