"""The page's symbols, each a small button that opens its meaning, by tap, click or keyboard."""
from __future__ import annotations

from html import escape

import streamlit as st

from playground.core.glossary import GLOSSARY
from playground.views.palette import MUTED_TEXT

GLOSSARY_LINE = "Symbols here"
# <details>: a native disclosure button (Enter or Space opens it, a tap too, and screen readers
# announce it as one), which a `title` tooltip is not. The meaning opens below the whole row, so
# it never runs past a phone's screen.
_STYLE = f"""<style>
.glossary {{ position: relative; display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 0.4rem;
  color: {MUTED_TEXT}; font-size: 0.875rem; margin-bottom: 0.5rem; }}
.glossary details {{ display: inline-block; }}
.glossary summary {{ list-style: none; cursor: pointer; padding: 0.05rem 0.45rem; border-radius: 0.5rem;
  border: 1px solid #c4c7cc; background: #fff; color: #262626; }}
.glossary summary::-webkit-details-marker {{ display: none; }}
.glossary summary:focus-visible {{ outline: 2px solid #262626; outline-offset: 1px; }}
.glossary details[open] summary {{ background: #262626; color: #fff; }}
.glossary details > div {{ position: absolute; left: 0; right: 0; top: 100%; z-index: 5; margin-top: 0.25rem;
  padding: 0.5rem 0.75rem; background: #fff; color: #262626; border: 1px solid #c4c7cc;
  border-radius: 0.5rem; box-shadow: 0 2px 8px rgba(0, 0, 0, 0.15); }}
@media (max-width: 640px) {{ .glossary summary {{ min-height: 44px; min-width: 44px; display: flex;
  align-items: center; justify-content: center; }} }}
</style>"""


def glossary_html(terms: tuple[str, ...]) -> str:
    # one name: the browser keeps one meaning open at a time, so two never overlap
    items = "".join(f'<details name="glossary"><summary aria-label="{escape(t)}: what it means">'
                    f'{escape(t)}</summary>'
                    f'<div role="note"><strong>{escape(t)}</strong>: {escape(GLOSSARY[t])}</div></details>'
                    for t in terms)
    line = f"<span>{GLOSSARY_LINE} (open one for its meaning):</span>"
    return f'{_STYLE}<div class="glossary">{line}{items}</div>'


def glossary(*terms: str) -> None:
    """A row under the title: the symbols the page uses, each a button that opens its meaning."""
    st.html(glossary_html(terms))


def meaning(term: str) -> str:
    """A glossary entry as a widget's or metric's help text."""
    return f"{term}: {GLOSSARY[term]}"
