"""User-supplied text (link parameters, file names, cells, messages that quote them) shown as
plain text: never as Markdown, links, pictures, colours, icons or maths, and never at length.
Streamlit renders every message as Markdown, so an echo left as it is lets a link write into
the app's own voice."""
from __future__ import annotations

import re

MAX_ECHO = 60  # characters of one echoed value; the rest is cut
_AUTOLINK = re.compile(r"(?i)(?<=:)\\?/|www\\?\.|@")  # where an address would start a link
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&])")  # what Markdown or Streamlit may read


def cut(text: object, limit: int = MAX_ECHO) -> str:
    """str(text) on one line, at most `limit` characters (… marks a cut)."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def quoted(text: object, limit: int = MAX_ECHO) -> str:
    """A value in code style: a Markdown code span, which renders its content literally."""
    body = cut(text, limit)
    fence = "`" * (1 + max((len(run) for run in re.findall(r"`+", body)), default=0))
    pad = " " if body.startswith("`") or body.endswith("`") or not body else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def escaped(text: object, limit: int = 400) -> str:
    """A whole message that quotes user input, every Markdown character escaped, cut to `limit`.
    Escapes do not stop bare web and mail addresses from becoming links, so a zero-width space
    breaks those."""
    return _AUTOLINK.sub("\\g<0>\u200b", _SPECIAL.sub(r"\\\1", cut(text, limit)))
