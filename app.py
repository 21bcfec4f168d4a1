"""Margin Lab: cross margin vs portfolio margin on the same book. Run: streamlit run app.py"""

import streamlit as st

from ui import sidebar, state

st.set_page_config(page_title="Margin Lab", page_icon="⚖️", layout="wide")

PAGES = [
    st.Page("pages/build.py", title="Build", icon="🧱", default=True),
    st.Page("pages/compare.py", title="Compare", icon="⚖️"),
    st.Page("pages/liquidation.py", title="Liquidation", icon="📉"),
    st.Page("pages/shocks.py", title="Shocks", icon="⚡"),
    st.Page("pages/learn.py", title="Learn", icon="🎓"),
]

page = st.navigation(PAGES, position="sidebar")
state.get()  # creates the workspace (from ?book= on a session's first run)
summary_slot = sidebar.draw()
if state.link_error():
    st.error(f"The shared link could not be opened, so the default book is shown instead: {state.link_error()}")
try:
    page.run()
except Exception as error:  # noqa: BLE001 - last line of defence: a message, never a traceback
    st.error(f"Something went wrong: {type(error).__name__}: {error}")
sidebar.summary(summary_slot)
state.sync_link(state.get())
