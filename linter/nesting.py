"""How deeply a YAML text may nest, found without parsing it.

libyaml's composer recurses in C once per nesting level, without limit, so
the loader sends a text that might nest too deep to the pure-Python parser
(which fails cleanly). Over-estimates only cost speed; under-estimates would
crash the interpreter.
"""

from __future__ import annotations

import re

_FLOW_BRACKET = re.compile(r"[\[\]{}]")
_BLOCK_INDENT = re.compile(r"^([ \t]*)((?:[-?:][ \t]+)*)", re.M)


def may_use_c(text: str, limit: int) -> bool:
    """Whether libyaml can read `text` without recursing past `limit` levels.

    A first check at C speed: each block level needs a column more on some
    line (or one more `- `), each flow level a bracket. Only a file that
    fails it pays for the finer `nesting_bound`.
    """
    longest = max(map(len, text.splitlines()), default=0)
    brackets = text.count("[") + text.count("{")
    return 2 * longest + 2 * brackets + 1 <= limit or nesting_bound(text) <= limit


def nesting_bound(text: str) -> int:
    """An upper bound of how deep `text` nests."""
    depth = flow = 0
    for match in _FLOW_BRACKET.finditer(text):
        if match.group() in "[{":
            depth += 1
            flow = max(flow, depth)
        elif depth:
            depth -= 1
    # Each level of a block collection needs one more column, or one more
    # `- ` / `? ` / `: ` on the line; an indentless sequence adds one per column.
    block = max((2 * len(indent) + len(indicators) for indent, indicators in _BLOCK_INDENT.findall(text)),
                default=0)
    return block + 2 * flow + 1
