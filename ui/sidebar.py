"""The shared sidebar: sample picker, rule-set presets and a live summary of the book."""

from __future__ import annotations

import streamlit as st

from margin import CROSS_PRESETS, PORTFOLIO_PRESETS
from ui import cached, state, text

SAMPLE_KEY = "sidebar_sample"
CROSS_KEY = "sidebar_cross_preset"
PORTFOLIO_KEY = "sidebar_portfolio_preset"
PRESENTER_KEY = "presenter"  # the setting itself, read by ui.page.presenter_mode()
PRESENTER_WIDGET = "sidebar_presenter"


def _sample_label(name: str) -> str:
    if name == state.EMPTY:
        return "Empty book (10,000 USDC, no positions)"
    if name == state.CUSTOM:
        return "Your own book (uploaded or shared)"
    titles = {s["name"]: s["title"] for s in cached.sample_stories()}
    return f"{name[:2]} · {titles.get(name, name)}"


def _on_sample() -> None:
    choice = st.session_state[SAMPLE_KEY]
    if choice == state.CUSTOM:
        return
    try:
        portfolio, market = state.load_sample(choice)
    except Exception as error:  # noqa: BLE001 - shown by the sidebar, never as a traceback
        st.session_state["sample_error"] = f"Could not load {choice}: {error}"
        return
    st.session_state.pop("sample_error", None)
    state.replace_book(portfolio, market, sample=choice)


def _on_preset(key: str, field: str) -> None:
    state.save(state.get().replace(**{field: st.session_state[key]}))


def _on_presenter() -> None:
    st.session_state[PRESENTER_KEY] = bool(st.session_state[PRESENTER_WIDGET])


def _sync(key: str, value: object) -> None:
    """Show the workspace's value in a keyed widget (set before the widget is drawn)."""
    if st.session_state.get(key) != value:
        st.session_state[key] = value


def draw() -> st.delta_generator.DeltaGenerator:
    """Draw the pickers; return an empty container the caller fills with :func:`summary` afterwards."""
    workspace = state.get()
    with st.sidebar:
        st.markdown("### Book")
        options = [*state.sample_names(), state.EMPTY, state.CUSTOM]
        _sync(SAMPLE_KEY, workspace.sample if workspace.sample in options else state.CUSTOM)
        st.selectbox("Start from", options, key=SAMPLE_KEY, format_func=_sample_label, on_change=_on_sample,
                     help="Loading a sample replaces the current book and resets the market to its defaults.")
        if st.session_state.get("sample_error"):
            st.error(st.session_state["sample_error"])
        st.markdown("### Rule sets")
        _sync(CROSS_KEY, workspace.cross_preset)
        st.selectbox("Cross margin preset", list(CROSS_PRESETS), key=CROSS_KEY, on_change=_on_preset,
                     args=(CROSS_KEY, "cross_preset"),
                     help="Per-position rules in the style of a venue (tiers, leverage, haircuts).")
        _sync(PORTFOLIO_KEY, workspace.portfolio_preset)
        st.selectbox("Portfolio margin preset", list(PORTFOLIO_PRESETS), key=PORTFOLIO_KEY, on_change=_on_preset,
                     args=(PORTFOLIO_KEY, "portfolio_preset"),
                     help="Scenario grid in the style of a venue (price range, vol shocks, add-ons).")
        st.markdown("### Classroom")
        _sync(PRESENTER_WIDGET, bool(st.session_state.get(PRESENTER_KEY, False)))
        st.toggle("Presenter mode", key=PRESENTER_WIDGET, on_change=_on_presenter,
                  help="For a projector: larger text and chart fonts.")
        return st.container()


def summary(slot) -> None:
    """A three-line summary of the current book, drawn into ``slot`` after the page has run."""
    workspace = state.get()
    with slot:
        st.markdown("### Summary")
        try:
            numbers = cached.headline(workspace.portfolio, workspace.market, workspace.cross_preset,
                                      workspace.portfolio_preset)
        except Exception:  # noqa: BLE001 - the page shows the engine's message; the sidebar stays quiet
            st.caption("The book cannot be evaluated yet; the page says why.")
            return
        title = workspace.portfolio.title or "Untitled book"
        st.caption(f"{title} · {len(workspace.portfolio.positions)} positions")
        cross_equity, portfolio_equity = numbers["cross_equity"], numbers["portfolio_equity"]
        equity = (f"Equity **{text.money(cross_equity)}**" if abs(cross_equity - portfolio_equity) < 0.5 else
                  f"Equity: cross **{text.money(cross_equity)}**, portfolio **{text.money(portfolio_equity)}**")
        st.markdown(
            f"{equity}  \n"
            f"Maintenance: cross **{text.money(numbers['cross_maintenance'])}**, "
            f"portfolio **{text.money(numbers['portfolio_maintenance'])}**  \n"
            f"Initial: cross **{text.money(numbers['cross_initial'])}**, "
            f"portfolio **{text.money(numbers['portfolio_initial'])}**"
        )
        st.caption(text.read_summary(cross_equity, portfolio_equity, numbers["cross_maintenance"],
                                     numbers["portfolio_maintenance"]))
