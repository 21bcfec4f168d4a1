"""The shared sidebar: sample picker, rule-set presets, offsets, presenter mode and a live summary.

The workspace (and the session's presenter setting) is the source of truth; the widgets only show it.
Every page draws its own sidebar, and Streamlit puts the page into each widget's identity, so each
page switch makes new widgets: a widget's own memory of its value cannot be trusted across pages.
So on every run, before a widget is drawn, its key is set from the workspace (:func:`_show`), and a
change reaches the workspace only through the widget's callback.
"""

from __future__ import annotations

import streamlit as st

from margin import CROSS_PRESETS, PORTFOLIO_PRESETS
from ui import compact, engine_cache, state
from views import samples, text
from views.rules import OFFSET_CHOICES, portfolio_rules, preset_title

SAMPLE_KEY = "sidebar_sample"
CROSS_KEY = "sidebar_cross_preset"
PORTFOLIO_KEY = "sidebar_portfolio_preset"
OFFSETS_KEY = "sidebar_offsets"
PRESENTER_KEY = state.PRESENTER_KEY  # the setting itself, read by ui.page.presenter_mode()
PRESENTER_WIDGET = "sidebar_presenter"
#: The key of the fragment that draws the book's summary (sidebar and strip), for st.rerun.
SUMMARY_FRAGMENT = "sidebar_book_summary"
OFFSETS_READING = {
    "correlated": "Coins that move together can offset each other, so a hedged BTC/ETH pair costs less.",
    "segregated": "Each coin is margined on its own and the requirements add up, as Deribit's and OKX's "
                  "portfolio margin do.",
}


def _sample_label(name: str) -> str:
    if name == samples.EMPTY:
        return "Empty book (10,000 USDC, no positions)"
    if name == state.CUSTOM:
        return "Your own book (uploaded or shared)"
    titles = {s["name"]: s["title"] for s in engine_cache.sample_stories()}
    return f"{name[:2]} · {titles.get(name, name)}"


def _on_sample() -> None:
    choice = st.session_state[SAMPLE_KEY]
    if choice == state.CUSTOM:
        return
    try:
        portfolio, market = samples.load_sample(choice)
    except Exception as error:  # noqa: BLE001 - shown by the sidebar, never as a traceback
        st.session_state["sample_error"] = f"Could not load {choice}: {error}"
        return
    st.session_state.pop("sample_error", None)
    state.replace_book(portfolio, market, sample=choice)


def _on_preset(key: str, field: str) -> None:
    state.save(state.get().with_rules(**{field: st.session_state[key]}))


def _on_offsets() -> None:
    state.save(state.get().with_rules(offsets=st.session_state[OFFSETS_KEY]))


def _on_presenter() -> None:
    state.set_presenter(st.session_state[PRESENTER_WIDGET])


def _show(key: str, value: object) -> None:
    """Show ``value`` (the workspace's) in the keyed widget drawn next, on every run.

    Never "only when it differs": after a page switch the key may still read the previous page's
    widget, whose value is right, while the new widget would start from its first option.
    """
    st.session_state[key] = value


def offsets_reading(offsets: str, preset: str) -> str:
    """One line on what the offsets setting does, and whether it is the preset's own."""
    own = portfolio_rules(preset).offsets
    whose = f"{preset}'s own setting" if offsets == own else f"{preset} itself uses {own}"
    return f"{OFFSETS_READING[offsets]} ({whose}.)"


def draw() -> st.delta_generator.DeltaGenerator:
    """Draw the pickers; return an empty container the caller fills with :func:`summary` afterwards."""
    workspace = state.get()
    with st.sidebar:
        st.markdown("### Book")
        options = [*samples.sample_names(), samples.EMPTY, state.CUSTOM]
        _show(SAMPLE_KEY, workspace.sample if workspace.sample in options else state.CUSTOM)
        st.selectbox("Start from", options, key=SAMPLE_KEY, format_func=_sample_label, on_change=_on_sample,
                     help="Loading a sample replaces the current book and resets the market to its defaults.")
        if st.session_state.get("sample_error"):
            st.error(st.session_state["sample_error"])
        st.markdown("### Rule sets")
        _show(CROSS_KEY, workspace.cross_preset)
        st.selectbox("Cross margin preset", list(CROSS_PRESETS), key=CROSS_KEY, on_change=_on_preset,
                     args=(CROSS_KEY, "cross_preset"), format_func=lambda name: preset_title("cross", name),
                     help="A venue's per-position rules (tiers, leverage, haircuts), as of the dated document "
                          "its source names (Learn › Methodology).")
        _show(PORTFOLIO_KEY, workspace.portfolio_preset)
        st.selectbox("Portfolio margin preset", list(PORTFOLIO_PRESETS), key=PORTFOLIO_KEY, on_change=_on_preset,
                     args=(PORTFOLIO_KEY, "portfolio_preset"), format_func=lambda name: preset_title("portfolio", name),
                     help="classroom: the teaching rule set (Deribit's grid with correlated offsets across coins). "
                          "deribit and okx: the venues' published rules, each coin margined apart. span: SPAN's "
                          "16 scenarios. Each one's source and simplifications are on Learn › Methodology.")
        offsets = workspace.portfolio_offsets
        _show(OFFSETS_KEY, offsets)
        st.radio("Offsets across coins", OFFSET_CHOICES, key=OFFSETS_KEY, on_change=_on_offsets,
                 horizontal=True,
                 help="Portfolio margin only: whether positions in different coins may offset each other. Starts "
                      "at the portfolio preset's own setting; choosing another preset goes back to its own.")
        st.caption(offsets_reading(offsets, workspace.portfolio_preset))
        st.markdown("### Presenting")
        _show(PRESENTER_WIDGET, state.presenter())
        st.toggle("Presenter mode", key=PRESENTER_WIDGET, on_change=_on_presenter,
                  help="For a projector: larger text and chart fonts.")
        return st.container()


def summary(slot, strip=None) -> None:
    """A three-line summary of the current book, drawn into ``slot`` after the page has run, and the same
    numbers into ``strip`` (the narrow screens' strip at the top of the page, :func:`ui.compact.summary_strip`)
    when given.

    Both are one keyed fragment (:data:`SUMMARY_FRAGMENT`): a Build slider that moves the book reruns it with
    the page's other fragments that show the book, so neither ever shows the previous book."""
    with slot:
        st.markdown("### Summary")
        _summary(strip)


@st.fragment(key=SUMMARY_FRAGMENT)
def _summary(strip) -> None:
    _summary_lines()
    if strip is not None:
        compact.summary_strip(strip)


def _summary_lines() -> None:
    """The sidebar's summary: the book's title and size, equity, maintenance and initial in both modes."""
    workspace = state.get()
    try:
        numbers = engine_cache.headline(workspace.portfolio, workspace.market, workspace.cross_preset,
                                     workspace.portfolio_rules)
    except Exception:  # noqa: BLE001 - the page shows the engine's message; the sidebar stays quiet
        st.caption("The book cannot be evaluated yet; the page says why.")
        return
    positions = text.count(len(workspace.portfolio.positions), "position")
    heading = f"{workspace.portfolio.title or 'Untitled book'} · {positions}"
    cross_equity, portfolio_equity = numbers["cross_equity"], numbers["portfolio_equity"]
    equity = (f"Equity **{text.money(cross_equity)}**" if abs(cross_equity - portfolio_equity) < 0.5 else
              f"Equity: cross **{text.money(cross_equity)}**, portfolio **{text.money(portfolio_equity)}**")
    reading = text.read_summary(cross_equity, portfolio_equity, numbers["cross_maintenance"],
                                numbers["portfolio_maintenance"])
    # One element, the title and the reading set small inside it: a Build slider's move redraws it, and each
    # element a move redraws costs the browser a few milliseconds (docs/performance.md).
    st.markdown(
        f"{text.small_note(heading)}\n\n"
        f"{equity}  \n"
        f"Maintenance: cross **{text.money(numbers['cross_maintenance'])}**, "
        f"portfolio **{text.money(numbers['portfolio_maintenance'])}**  \n"
        f"Initial: cross **{text.money(numbers['cross_initial'])}**, "
        f"portfolio **{text.money(numbers['portfolio_initial'])}**\n\n"
        f"{text.small_note(reading)}"
    )
