"""Margin Lab: cross margin vs portfolio margin on the same book. Run: streamlit run app.py"""

import streamlit as st

from margin.runtime import keep_freed_memory
from ui import live_chart
from ui.page import PAGE_CONFIG

keep_freed_memory()  # once per server process: sweeps reuse freed memory instead of faulting it in again
st.set_page_config(**PAGE_CONFIG)

PAGES = [
    st.Page("pages/build.py", title="Build", icon=":material/construction:", default=True),
    st.Page("pages/compare.py", title="Compare", icon=":material/balance:"),
    st.Page("pages/liquidation.py", title="Liquidation", icon=":material/trending_down:"),
    st.Page("pages/shocks.py", title="Shocks", icon=":material/bolt:"),
    st.Page("pages/replay.py", title="Replay", icon=":material/replay:"),
    st.Page("pages/learn.py", title="Learn", icon=":material/school:"),
]
#: Pages that draw a chart on their first screen (Learn draws one only on some steps).
CHART_PAGES = {"Build", "Compare", "Liquidation", "Shocks", "Replay"}

page = st.navigation(PAGES, position="sidebar")
if page.title in CHART_PAGES:
    live_chart.preload()  # plotly.js loads while the page's engine work runs; its charts come later


@st.fragment(run_every=3600)
def _rerun_on_reconnect() -> None:
    """Draws nothing. Streamlit 1.67 reruns a page that reconnects to a new server process (a class's
    replica died and nginx sent the browser to another) only when the page holds a run_every
    fragment; without it the new process's session stays empty until a reload, and fragment sliders
    do nothing (tests/test_serve_class.py)."""


_rerun_on_reconnect()
try:
    page.run()  # each page draws the shared sidebar itself (ui.page.begin / end)
except Exception as error:  # noqa: BLE001 - last line of defence: a message, never a traceback
    st.error(f"Something went wrong: {type(error).__name__}: {error}")
