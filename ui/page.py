"""What every page does first and last: page config, workspace, shared sidebar, link errors, summary.

Pages call :func:`begin` at the top and :func:`end` at the bottom rather than relying on app.py
alone, so a page is complete even when Streamlit runs its file without app.py (see
:func:`_leave_folder_mode`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from charts import style
from margin import PortfolioError
from ui import compact, live_chart, sidebar, state

T = TypeVar("T")

#: The About entry is what makes the app menu (⋮, top right) appear: with ``client.toolbarMode =
#: "minimal"`` Streamlit shows the menu only when the page sets an entry, and the menu then carries
#: the theme chooser (System, Light, Dark), since .streamlit/config.toml defines both themes.
ABOUT = ("**Margin Lab**: what cross margin and portfolio margin ask for the same crypto derivatives book, "
         "and why. Choose a light or dark theme in this menu; the charts follow it.")
PAGE_CONFIG = {"page_title": "Margin Lab", "page_icon": "⚖️", "layout": "wide", "menu_items": {"About": ABOUT}}

#: Presenter mode: page text at 125 % of the browser's base size (chart fonts: charts.style.PRESENTER_FONT_SCALE).
PRESENTER_CSS = """
<style>
html { font-size: 125% !important; }
[data-testid="stMetricValue"] { font-size: 2.8rem !important; }
[data-testid="stCaptionContainer"] { font-size: 1.05rem !important; }
[data-testid="stMetricLabel"] p, [data-testid="stMetricDelta"] { font-size: 1.05rem !important; }
</style>
"""
#: On every page. Metric labels wrap rather than end in "…" (a phone cut the longest Compare labels).
#: Chart text that has no colour of its own (ticks, axis titles, legend, colour bars, bar amounts) in
#: the page's text colour, which reads at 17:1 on the light theme and follows the dark theme at once
#: (Streamlit's chart theme, the fallback of ui.live_chart, greys it to #808495: 3.7:1, thin for a projector).
#: Coloured labels (a mode's liquidation price, equity) keep their colour: they are not selected.
PAGE_CSS = """
<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; text-overflow: clip !important; overflow-wrap: break-word;
}
.js-plotly-plot :is(.xtick, .ytick, .g-xtitle, .g-ytitle, .cbaxis, .cbtitle) text,
.js-plotly-plot :is(.legendtext, .bartext) { fill: currentColor !important; }
</style>
"""
LESSON_PAGE = "pages/learn.py"
_LINK_CHECKED_KEY = "lesson_link_checked"


def _leave_folder_mode() -> None:
    """If Streamlit ran this page in its legacy pages-folder mode, rerun through app.py's st.navigation.

    Streamlit picks the legacy mode when the ``pages/`` folder exists and the very first request a
    server sees is a page URL; app.py (and its st.navigation) never runs then, and the sidebar
    lists files instead of the app's pages. Clearing the flag and rerunning restores the app.
    The flag is private to Streamlit: tests/test_streamlit_switches.py fails when it changes.
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


def safe(func: Callable[..., T], *args, **kwargs) -> T | None:
    """Call ``func``; on PortfolioError show its message, on anything else a short note. None on error.

    No traceback ever reaches the page.
    """
    try:
        return func(*args, **kwargs)
    except PortfolioError as error:
        st.error(str(error))
    except Exception as error:  # noqa: BLE001 - the page must show a message, not a traceback
        st.error(f"Something went wrong: {type(error).__name__}: {error}")
    return None


def chart(figure: dict | go.Figure, key: str, config: dict | None = None) -> None:
    """Draw a figure, given as ``fig.to_dict()`` (the ``ui.figures`` functions) or as a Figure;
    fonts scaled up in presenter mode.

    Drawn by :mod:`ui.live_chart`, which updates the chart drawn under ``key`` in place and gives it
    the page's light or dark background and text colours in the browser (see :mod:`charts.style`).
    """
    spec = figure.to_dict() if isinstance(figure, go.Figure) else figure
    if presenter_mode():
        spec = style.scale_spec(spec, style.PRESENTER_FONT_SCALE)
    title = spec.get("layout", {}).get("title") or {}
    title_text = (title.get("text") or "") if isinstance(title, dict) else str(title)
    with compact.titled_chart(title_text, key):
        live_chart.draw(spec, key, config)


def _follow_lesson_link(lesson_page: bool) -> None:
    """A session opened on another page with ?lesson= goes to the Learn page (first run only)."""
    if st.session_state.get(_LINK_CHECKED_KEY):
        return
    st.session_state[_LINK_CHECKED_KEY] = True
    if not lesson_page and st.query_params.get("lesson"):
        st.switch_page(LESSON_PAGE, query_params=st.query_params.to_dict())


@dataclass(frozen=True)
class Slots:
    """Where :func:`end` draws the book's summary: the sidebar, and (narrow screens) the top of the page."""

    sidebar: DeltaGenerator
    strip: DeltaGenerator | None


#: View settings kept across pages: Streamlit forgets a widget's value when the viewer goes to another page, so
#: a teacher who looked at Build came back to Liquidation's asset, co-move and elasticity, and Shocks' held
#: shocks, reset (a user walk). Each is remembered under a key of its own (:func:`remember`), which no page
#: change clears, and given back to its widget as its starting value (:func:`kept`).
KEPT_INPUTS = ("liq_asset", "liq_co_move", "liq_elasticity", "shock_fixed_vol_mult", "shock_fixed_corr_shock")
_KEPT_PREFIX = "kept_view_"


def remember(key: str, value) -> None:
    """Keep ``value``, the widget ``key``'s (one of :data:`KEPT_INPUTS`), for the viewer's return to its page."""
    if key not in KEPT_INPUTS:
        raise ValueError(f"{key!r} is not one of ui.page.KEPT_INPUTS: add it there, where the kept settings are listed")
    st.session_state[_KEPT_PREFIX + key] = value


def kept(key: str, default):
    """The widget ``key``'s starting value: the one remembered for it (:func:`remember`), else ``default``."""
    return st.session_state.get(_KEPT_PREFIX + key, default)


def begin(lesson_page: bool = False, summary_strip: bool = True) -> Slots:
    """Set up the page; return the slots that :func:`end` fills with the summary.

    ``lesson_page`` is True on the Learn page, which reads ?lesson= itself. ``summary_strip`` False
    leaves out the summary at the top of the main column that narrow screens show in place of the
    collapsed sidebar's (the Compare page, whose first cards are those numbers).
    """
    _leave_folder_mode()
    st.set_page_config(**PAGE_CONFIG)
    state.get()  # creates the workspace (from ?book= on a session's first run)
    _follow_lesson_link(lesson_page)
    slot = Slots(sidebar.draw(), None)
    st.html(PAGE_CSS + compact.CSS + (PRESENTER_CSS if presenter_mode() else ""))
    if summary_strip:
        slot = Slots(slot.sidebar, st.container(key=compact.STRIP_KEY))
    if state.link_error():
        reason = state.link_error().removeprefix("share link: ")
        st.error(f"The shared link could not be opened, so the default book and settings are shown instead: {reason}")
    elif state.link_notice():
        st.info(state.link_notice())
    return slot


def end(slot: Slots) -> None:
    """Draw the summary of the book as it is now (sidebar, and the narrow screens' strip), keep ?book= in sync."""
    sidebar.summary(slot.sidebar, slot.strip)  # one fragment: a Build slider's move redraws it with the book
    state.sync_link(state.get())


def stop(slot: Slots) -> None:
    """End the page early (after an error has been shown)."""
    end(slot)
    st.stop()
