"""Page-wide layout: less padding, so a page's main view fits one screen, a projector's included;
and on a phone, nothing wider than the screen and every control big enough to tap."""
from __future__ import annotations

import streamlit as st

from playground.views.palette import MUTED_TEXT

HEADER_REM = 3.75  # Streamlit's header bar, which overlays the top of the main block
PHONE_PX = 640  # Streamlit's own breakpoint for its mobile layout
TAP_PX = 44  # the smallest tap target on a phone (Apple's HIG; WCAG 2.5.5's enhanced size)

# Streamlit's default main block has 6rem of padding on top and 5rem at the sides, and titles of
# 2.75rem; at 1400×1000 that pushes the live page's boundaries below the fold. The top padding
# still clears the header bar, so a title never sits under it. Metrics stay readable at 1.5rem
# and then five fit beside each other over one boundary picture. Captions are darkened from
# Streamlit's text at 60% opacity (#828180, 3.9:1 on white) to pass WCAG AA's 4.5:1.
_CSS = f"""<style>
[data-testid="stMainBlockContainer"] {{ padding: {HEADER_REM + 0.5}rem 2rem 3rem 2rem; }}
[data-testid="stMainBlockContainer"] h1 {{ font-size: 2rem; padding: 0.25rem 0 0.5rem 0; }}
[data-testid="stMainBlockContainer"] h2 {{ font-size: 1.5rem; padding: 0.75rem 0 0.25rem 0; }}
[data-testid="stMetricValue"] {{ font-size: 1.5rem; }}
[data-testid="stCaptionContainer"] {{ color: {MUTED_TEXT}; opacity: 1; }}
/* a disabled control's label stays readable (the greyed control itself says it is disabled) */
[data-testid="stWidgetLabel"][disabled] {{ color: {MUTED_TEXT}; }}
/* a multiselect's text box shrank to a sliver beside its chips, below WCAG 2.2's 24 px target */
[data-testid="stMultiSelect"] input {{ min-width: 24px !important; min-height: 24px; }}
/* a laptop's sidebar: the page menu closer together, so the first controls (on the live page eps,
   beside Play) are in view at 1366×768 without scrolling */
@media (min-width: {PHONE_PX + 1}px) {{
  [data-testid="stSidebarNavItems"] li, [data-testid="stSidebarNavLink"] {{ margin: 0; }}
  [data-testid="stSidebarHeader"] {{ height: 2.75rem; margin-bottom: 0.5rem; }}
  [data-testid="stSidebarUserContent"] {{ padding-top: 0.5rem; }}
}}
@media (max-width: {PHONE_PX}px) {{
  [data-testid="stMainBlockContainer"] {{ padding: {HEADER_REM + 0.5}rem 1rem 3rem 1rem; }}
  /* a chart wider than the screen scrolls sideways inside its own box, never the page */
  [data-testid="stVegaLiteChart"] {{ max-width: 100%; overflow-x: auto; overflow-y: hidden; }}
  [data-testid="stVegaLiteChart"]:focus-visible {{ outline: 2px solid #262626; outline-offset: 2px; }}
  [data-testid="stImage"] img {{ max-width: 100%; height: auto; }}
  /* tap targets; !important: Streamlit's own rules are as specific and come later */
  button, summary, [data-testid="stSidebarNavLink"], [data-testid="stPageLink-NavLink"],
  [data-testid="stNumberInputContainer"], [data-baseweb="select"] > div, [data-baseweb="input"],
  [data-testid="stRadio"] label, [data-testid="stCheckbox"] label, [data-testid="stToggle"] label,
  [data-testid="stSlider"] [data-baseweb="slider"] {{ min-height: {TAP_PX}px !important; }}
  [data-testid="stRadio"] label, [data-testid="stCheckbox"] label {{ align-items: center; }}
  [data-testid="stNumberInputContainer"] button, [data-testid="stElementToolbar"] button,
  [data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"] button,
  [data-testid="stHeader"] button {{ min-width: {TAP_PX}px !important; min-height: {TAP_PX}px !important; }}
  [data-testid="stSidebarNavLink"], [data-testid="stPageLink-NavLink"] {{ display: flex;
    align-items: center; }}
  [data-testid="stTooltipHoverTarget"] {{ min-width: {TAP_PX}px; min-height: {TAP_PX}px;
    display: inline-flex; align-items: center; justify-content: center; }}
  /* a heading's anchor link shows on hover, which a touch screen has not */
  [data-testid="stHeaderActionElements"] {{ display: none; }}
}}
</style>"""


# A chart that scrolls sideways on a phone must be reachable by keyboard (WCAG 2.1.1; axe's
# scrollable-region-focusable): the boxes that scroll take focus, and only those. Our own code,
# no input in it; it looks again when the page changes, at most once an animation frame.
_SCROLL_FOCUS = f"""<script>
(() => {{
  if (window.__scrollFocus) return;
  window.__scrollFocus = true;
  const phone = window.matchMedia("(max-width: {PHONE_PX}px)");
  let pending = false;
  const mark = () => {{
    pending = false;
    for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {{
      const scrolls = phone.matches && chart.scrollWidth > chart.clientWidth + 1;
      if (scrolls && !chart.hasAttribute("tabindex")) chart.setAttribute("tabindex", "0");
      if (!scrolls && chart.getAttribute("tabindex") === "0") chart.removeAttribute("tabindex");
    }}
  }};
  const soon = () => {{ if (!pending) {{ pending = true; requestAnimationFrame(mark); }} }};
  new MutationObserver(soon).observe(document.body, {{ childList: true, subtree: true }});
  window.addEventListener("resize", soon);
  soon();
}})();
</script>"""


def compact_layout() -> None:
    st.html(_CSS)
    st.html(_SCROLL_FOCUS, unsafe_allow_javascript=True)
