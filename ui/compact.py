"""Narrow screens (a phone, 390 px wide) and the projector: CSS injected once per run, side-by-side pairs, the
summary strip at the top of the main column, and the Learn page's arrow keys.

Streamlit tells the server nothing about the viewport, so every width-dependent choice is a CSS media
query evaluated in the browser. What it does on a phone (at most :data:`PHONE_WIDTH` px):

- A *pair* (:func:`pair`, a keyed container around ``st.columns(2)``) keeps its two columns side by side
  where Streamlit would stack them: the Compare page shows cross and portfolio next to each other, so both
  modes' requirements are on the first screen. Its metric values shrink to fit half a phone.
- The page title, the top padding and headings are smaller.
- Plotly's toolbar (the modebar) is hidden: it sits over the chart's title at that width, and a phone has
  pinch-zoom for what it offers. A heatmap's numbers in its cells are hidden: a cell is narrower than
  its number (the hover and the caption under the chart still give them).
- Axis titles are drawn at 14 px (the correlation shock's explains −1 and +1 on a line of 47 characters).
- A chart title too long for the width (:data:`PHONE_TITLE_CHARS`) is drawn above the chart as page
  text, which wraps, in place of plotly's one-line title (:func:`titled_chart`).

The sidebar is collapsed on any screen up to :data:`NARROW_WIDTH` px (Streamlit's own breakpoint), and
with it the sidebar's summary of the book: :func:`summary_strip` draws the same numbers at the top of
the main column, shown only at those widths.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import engine_cache, state
from views import text

#: Widths (CSS px) at and below which Streamlit stacks columns, and collapses the sidebar.
PHONE_WIDTH = 640
NARROW_WIDTH = 768
STRIP_KEY = "compact_summary"
PAIR_PREFIX = "pair_"
#: A chart whose title is longer than this many characters has it drawn above the chart as page text on
#: a phone (plotly cannot wrap a title, and a 20 px title of more than ~36 characters runs off 358 px).
PHONE_TITLE_CHARS = 36
TITLED_PREFIX = "titled_"
#: A long link (Build's share link, inline code): wrapped, it filled a phone's screen two times over; a
#: click selects all of it (user-select: all), ready to copy.
LINK_BOX_KEY = "share_link_box"
TITLE_PREFIX = "charttitle_"

CSS = f"""
<style>
@media (min-width: {NARROW_WIDTH + 1}px) {{
  .st-key-{STRIP_KEY} {{ display: none !important; }}
}}
.st-key-{STRIP_KEY} table {{ width: 100%; margin-bottom: 0; font-size: 0.9rem; }}
.st-key-{STRIP_KEY} :is(th, td) {{ padding: 0.15rem 0.4rem !important; }}
@media (max-width: {PHONE_WIDTH}px) {{
  [data-testid="stMainBlockContainer"] {{ padding-top: 3.75rem !important; }}
  [data-testid="stMain"] h1 {{ font-size: 1.85rem !important; padding-top: 0.25rem !important; }}
  [data-testid="stMain"] h2 {{ font-size: 1.45rem !important; }}
  [data-testid="stMain"] h3 {{ font-size: 1.2rem !important; }}
  [class*="st-key-{PAIR_PREFIX}"] [data-testid="stHorizontalBlock"] {{ flex-wrap: nowrap !important; gap: 0.5rem !important; }}
  [class*="st-key-{PAIR_PREFIX}"] [data-testid="stColumn"] {{
    min-width: 0 !important; flex: 1 1 0 !important; width: auto !important;
  }}
  [class*="st-key-{PAIR_PREFIX}"] [data-testid="stMetric"] {{ padding: 0.5rem 0.6rem !important; }}
  [class*="st-key-{PAIR_PREFIX}"] [data-testid="stMetricValue"] {{ font-size: 1.45rem !important; }}
  [class*="st-key-{PAIR_PREFIX}"] [data-testid="stMetricLabel"] p {{ font-size: 0.8rem !important; }}
  [class*="st-key-{PAIR_PREFIX}"] [data-testid="stMetricDelta"] {{ font-size: 0.75rem !important; }}
  [class*="st-key-{PAIR_PREFIX}"] [data-testid="stCaptionContainer"] {{ font-size: 0.78rem !important; }}
  [class*="st-key-{PAIR_PREFIX}"] h3 {{ font-size: 1rem !important; }}
  .js-plotly-plot .modebar-container {{ display: none !important; }}
  .js-plotly-plot g.heatmap-label {{ display: none; }}
  .js-plotly-plot :is(.g-xtitle, .g-ytitle) text {{ font-size: 14px !important; }}
  [class*="st-key-{TITLED_PREFIX}"] .js-plotly-plot .gtitle {{ display: none; }}
  [class*="st-key-{TITLE_PREFIX}"] {{ display: block !important; }}
}}
[class*="st-key-{TITLE_PREFIX}"] {{ display: none; }}
.st-key-{LINK_BOX_KEY} [data-testid="stMarkdownContainer"] {{
  max-height: 7.5rem; overflow-y: auto !important; padding: 0.5rem 0.75rem; border-radius: 0.5rem;
  background: rgba(128, 128, 128, 0.1); margin-bottom: 0.5rem;
}}
.st-key-{LINK_BOX_KEY} p {{ margin: 0; }}
.st-key-{LINK_BOX_KEY} code {{
  word-break: break-all; white-space: pre-wrap; background: none; padding: 0; color: inherit; user-select: all;
}}
[class*="st-key-{TITLE_PREFIX}"] p {{ font-weight: 600; font-size: 1.1rem; }}
</style>
"""


def pair(key: str) -> tuple[DeltaGenerator, DeltaGenerator]:
    """Two columns that stay side by side on a phone (Streamlit stacks them below 640 px).

    ``key`` names the row (unique on the page); the container's class carries :data:`PAIR_PREFIX`,
    which the phone CSS above selects.
    """
    with st.container(key=f"{PAIR_PREFIX}{key}"):
        left, right = st.columns(2)
    return left, right


@contextmanager
def titled_chart(title: str, key: str) -> Iterator[None]:
    """Draw the chart made inside this block with its ``title`` as page text above it on a phone, when the
    title is longer than :data:`PHONE_TITLE_CHARS` (else nothing is added)."""
    if len(title) <= PHONE_TITLE_CHARS:
        yield
        return
    with st.container(key=f"{TITLED_PREFIX}{key}"):
        with st.container(key=f"{TITLE_PREFIX}{key}"):
            st.markdown(escape_markdown(title))
        yield


def escape_markdown(words: str) -> str:
    """``words`` shown as they are by st.markdown (no emphasis, links or HTML from their characters)."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]()#+-.!|<>~$&" else c for c in words)


#: Left and right arrow keys click the buttons of these widget keys (a listener on the page, installed once).
ARROW_KEYS_SCRIPT = """
<script>
(() => {
  window.__marginLabArrows = {previous: %(previous)s, next: %(next)s};
  if (window.__marginLabArrowsInstalled) return;
  window.__marginLabArrowsInstalled = true;
  const typing = 'input, textarea, select, [contenteditable=""], [contenteditable="true"], [role="slider"], '
    + '[role="combobox"], [role="listbox"], [role="option"], [role="radiogroup"], [role="tab"], [role="grid"], '
    + '[data-testid="stDataFrame"], [data-testid="stDataFrameResizable"]';
  document.addEventListener('keydown', event => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const target = event.target;
    if (target instanceof Element && target.closest(typing)) return;
    const key = window.__marginLabArrows[event.key === 'ArrowLeft' ? 'previous' : 'next'];
    const button = document.querySelector('.st-key-' + key + ' button');
    if (!button || button.disabled) return;
    event.preventDefault();
    button.click();
  });
})();
</script>
"""


def arrow_keys(previous_key: str, next_key: str) -> None:
    """Left/right arrow keys press the buttons keyed ``previous_key`` / ``next_key`` (a presenter steps a
    lesson from a clicker or the keyboard). Streamlit sends no key events to the server, so a small
    script on the page listens and clicks the buttons; it leaves keys alone while focus is in a text
    field, a slider, a select box, a radio group, tabs or a table, whose own arrow keys they are, and
    does nothing on a page without those buttons."""
    st.html(ARROW_KEYS_SCRIPT % {"previous": json.dumps(previous_key), "next": json.dumps(next_key)},
            unsafe_allow_javascript=True)


def summary_numbers() -> dict | None:
    """The book's headline numbers (USD; see ``engine_cache.headline``), or None if it cannot be evaluated."""
    workspace = state.get()
    try:
        return engine_cache.headline(workspace.portfolio, workspace.market, workspace.cross_preset,
                                     workspace.portfolio_rules)
    except Exception:  # noqa: BLE001 - the page shows the engine's message; the summary stays quiet
        return None


def summary_table(numbers: dict) -> str:
    """The two modes side by side (markdown): maintenance, initial and equity in USD."""
    cross_equity, portfolio_equity = numbers["cross_equity"], numbers["portfolio_equity"]
    rows = [("Maintenance", numbers["cross_maintenance"], numbers["portfolio_maintenance"]),
            ("Initial", numbers["cross_initial"], numbers["portfolio_initial"]),
            ("Equity", cross_equity, portfolio_equity)]
    lines = ["| USD | Cross | Portfolio |", "|---|---:|---:|"]
    lines += [f"| {name} | **{text.money(cross)}** | **{text.money(portfolio)}** |" for name, cross, portfolio in rows]
    return "\n".join(lines)


def summary_strip(slot: DeltaGenerator) -> None:
    """The sidebar's summary at the top of the main column, for screens whose sidebar is collapsed.

    Drawn into ``slot`` (made by ``ui.page.begin`` before the page's title) after the page has run, so
    it shows the book as the page left it; hidden by CSS on screens wider than :data:`NARROW_WIDTH`.
    """
    numbers = summary_numbers()
    if numbers is None:
        return
    workspace = state.get()
    title = workspace.portfolio.title or "Untitled book"
    reading = text.read_summary(numbers["cross_equity"], numbers["portfolio_equity"], numbers["cross_maintenance"],
                                numbers["portfolio_maintenance"])
    with slot:  # one element (a Build slider's move redraws it): the table, then its reading set small
        st.markdown(summary_table(numbers) + "\n\n"
                    + text.small_note(f"{title} · {text.count(len(workspace.portfolio.positions), 'position')}. {reading}"))
