"""What every page does first and last: page config, workspace, shared sidebar, link errors, summary.

Pages call :func:`begin` at the top and :func:`end` at the bottom rather than relying on app.py
alone, so a page is complete even when Streamlit runs its file without app.py (see
:func:`_leave_folder_mode`).
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import charts
from ui import sidebar, state

PAGE_CONFIG = {"page_title": "Margin Lab", "page_icon": "⚖️", "layout": "wide"}

#: Presenter mode: chart fonts × this, page text at this share of the browser's base size.
PRESENTER_FONT_SCALE = 1.4
PRESENTER_CSS = """
<style>
html { font-size: 125% !important; }
[data-testid="stMetricValue"] { font-size: 2.8rem !important; }
[data-testid="stCaptionContainer"] { font-size: 1.05rem !important; }
</style>
"""
LESSON_PAGE = "pages/learn.py"
_LINK_CHECKED_KEY = "lesson_link_checked"


def _leave_folder_mode() -> None:
    """If Streamlit ran this page in its legacy pages-folder mode, rerun through app.py's st.navigation.

    Streamlit picks the legacy mode when the ``pages/`` folder exists and the very first request a
    server sees is a page URL; app.py (and its st.navigation) never runs then, and the sidebar
    lists files instead of the app's pages. Clearing the flag and rerunning restores the app.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a future Streamlit without the flag
        return
    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
        st.rerun()


def presenter_mode() -> bool:
    """True when the sidebar's presenter toggle is on: larger text and charts, fewer controls."""
    return state.presenter()


def chart(spec: dict, key: str) -> None:
    """Draw a figure given as ``fig.to_dict()`` (the ``ui.cached.*_figure`` functions); fonts scaled up in
    presenter mode."""
    if presenter_mode():
        spec = charts.scale_spec(spec, PRESENTER_FONT_SCALE)
    st.plotly_chart(_trusted_figure(spec), theme=None, key=key)


def _trusted_figure(spec: dict) -> go.Figure:
    """A Figure around a spec that plotly already validated when the chart was built.

    st.plotly_chart validates a dict again property by property (~15 ms a chart); a Figure it only
    serialises. ``_validate`` is plotly's own switch for this; without it, validate as usual.
    """
    try:
        return go.Figure(spec, _validate=False)
    except TypeError:  # pragma: no cover - a plotly without the switch
        return go.Figure(spec)


def _follow_lesson_link(lesson_page: bool) -> None:
    """A session opened on another page with ?lesson= goes to the Learn page (first run only)."""
    if st.session_state.get(_LINK_CHECKED_KEY):
        return
    st.session_state[_LINK_CHECKED_KEY] = True
    if not lesson_page and st.query_params.get("lesson"):
        st.switch_page(LESSON_PAGE, query_params=st.query_params.to_dict())


def begin(lesson_page: bool = False) -> DeltaGenerator:
    """Set up the page; return the sidebar slot that :func:`end` fills with the summary.

    ``lesson_page`` is True on the Learn page, which reads ?lesson= itself.
    """
    _leave_folder_mode()
    st.set_page_config(**PAGE_CONFIG)
    state.get()  # creates the workspace (from ?book= on a session's first run)
    _follow_lesson_link(lesson_page)
    slot = sidebar.draw()
    if presenter_mode():
        st.html(PRESENTER_CSS)
    if state.link_error():
        reason = state.link_error().removeprefix("share link: ")
        st.error(f"The shared link could not be opened, so the default book and settings are shown instead: {reason}")
    return slot


def end(slot: DeltaGenerator) -> None:
    """Draw the sidebar summary of the book as it is now, and keep ?book= in sync."""
    sidebar.summary(slot)
    state.sync_link(state.get())


def stop(slot: DeltaGenerator) -> None:
    """End the page early (after an error has been shown)."""
    end(slot)
    st.stop()
