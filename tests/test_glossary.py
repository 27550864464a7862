"""Every symbol a page shows has a button with its meaning in that page's glossary line."""
import re
from html import escape

import pytest

from playground.core.glossary import GLOSSARY, terms_in
from playground.ui.shell.navigation import PAGES
from tests.test_app import open_page

pytestmark = pytest.mark.usefixtures("one_thread")
GLOSSARY_LINE = "Symbols here"


def page_text(at) -> tuple[str, str]:
    """Everything the page says (text, labels, metrics, tables' columns, charts' specs), and its
    glossary line."""
    parts = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "success",
                 "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    for kind in ("slider", "select_slider", "selectbox", "multiselect", "radio", "checkbox", "toggle",
                 "number_input"):
        parts += [str(e.label) for e in getattr(at, kind)]
    parts += [" ".join(map(str, t.value.columns)) for t in at.dataframe]
    parts += [c.proto.spec for c in at.get("vega_lite_chart")]
    parts += [h.proto.body for h in at.get("html")]
    line = next((p for p in parts if GLOSSARY_LINE in p), "")
    return "\n".join(p for p in parts if GLOSSARY_LINE not in p), line


@pytest.mark.parametrize("path", [p for p, _, _ in PAGES])
def test_every_symbol_on_the_page_is_in_its_glossary(path):
    text, line = page_text(open_page(path))
    explained = set(re.findall(r"<summary[^>]*>([^<]+)</summary>", line))
    missing = [t for t in terms_in(text) if t not in explained]
    assert not missing, f"{path} shows {missing} without a glossary entry"
    for term in explained:
        assert term in GLOSSARY and f"<strong>{escape(term)}</strong>: {escape(GLOSSARY[term])}</div>" in line


def test_terms_in_finds_symbols_in_order():
    assert terms_in("the ECE and the NLL near q_t") == ["q_t", "NLL", "ECE"]
