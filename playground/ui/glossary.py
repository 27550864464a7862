"""The page's symbols, each with its meaning on hover."""
from __future__ import annotations

from html import escape

import streamlit as st

from playground.glossary import GLOSSARY


def glossary(*terms: str) -> None:
    """A caption under the title: the symbols the page uses, each a tooltip with its meaning."""
    items = " · ".join(f'<abbr title="{escape(GLOSSARY[t])}" style="cursor: help">{escape(t)}</abbr>'
                       for t in terms)
    st.caption(f"Symbols here (hover for their meaning): {items}", unsafe_allow_html=True)


def meaning(term: str) -> str:
    """A glossary entry as a widget's or metric's help text."""
    return f"{term}: {GLOSSARY[term]}"
