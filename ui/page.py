"""What every page does first and last: page config, workspace, shared sidebar, link errors, summary.

Pages call :func:`begin` at the top and :func:`end` at the bottom rather than relying on app.py
alone, so a page is complete even when Streamlit runs its file without app.py (see
:func:`_leave_folder_mode`).
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import sidebar, state

PAGE_CONFIG = {"page_title": "Margin Lab", "page_icon": "⚖️", "layout": "wide"}


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


def begin() -> DeltaGenerator:
    """Set up the page; return the sidebar slot that :func:`end` fills with the summary."""
    _leave_folder_mode()
    st.set_page_config(**PAGE_CONFIG)
    state.get()  # creates the workspace (from ?book= on a session's first run)
    slot = sidebar.draw()
    if state.link_error():
        st.error(f"The shared link could not be opened, so the default book is shown instead: {state.link_error()}")
    return slot


def end(slot: DeltaGenerator) -> None:
    """Draw the sidebar summary of the book as it is now, and keep ?book= in sync."""
    sidebar.summary(slot)
    state.sync_link(state.get())


def stop(slot: DeltaGenerator) -> None:
    """End the page early (after an error has been shown)."""
    end(slot)
    st.stop()
