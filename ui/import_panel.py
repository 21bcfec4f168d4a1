"""Build page: positions from outside the table, by instrument name or from a venue's export.

* :func:`name_box`: "Add by instrument name": a Deribit, OKX or Binance name (``BTC-PERPETUAL``,
  ``BTC-USDT-SWAP``, ``BTCUSDT``, ``BTC-27MAR26-100000-C``), a side, a size (USD of face value for a
  coin-margined perp or future, coins otherwise) and an optional entry; :func:`views.editor.add_by_name`
  reads it, expiries count days from the market's date (:func:`ui.live_panel.market_date`).
* :func:`draw`: "Import positions from a venue export": the JSON a user saved from Deribit's
  ``private/get_positions``, OKX's ``/api/v5/account/positions`` or Binance's ``positionRisk``
  (:func:`margin.venue_import.import_positions`); a preview, then one button replaces the book's
  positions (collateral kept) and selects the venue's rule sets. A bad file is refused whole with the
  row and field named. Nothing here goes online.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from margin import PortfolioError
from margin.instruments import describe
from margin.names import ACCEPTED_PATTERNS
from margin.venue_import import ImportResult, import_positions
from ui import live_panel, state
from views import editor, samples, text
from views.rules import preset_title

NAME_KEY = "name_entry_name"
SIDE_KEY = "name_entry_side"
SIZE_KEY = "name_entry_size"
ENTRY_KEY = "name_entry_entry"
NAME_MESSAGE_KEY = "name_entry_message"  # ("success" | "error", text), shown once
UPLOAD_KEY = "venue_import_upload"
DONE_KEY = "venue_import_done"  # (file_id, ImportResult | None, error | None)
MESSAGE_KEY = "venue_import_message"
EXPANDER_LABEL = "Import positions from a venue export (Deribit, OKX, Binance JSON)"
#: The two expanders' open states. Each is drawn only while open (on_change="rerun"): closed, it costs each of
#: Build's reruns one element, not its form's half dozen (every element on the page costs a slider's move
#: about a millisecond in the browser: docs/performance.md).
NAME_OPEN_KEY = "name_entry_open"
IMPORT_OPEN_KEY = "venue_import_open"


def _add_by_name() -> None:
    """Form callback: runs before the page, so the table restarts from the book with the new row."""
    current = state.get()
    try:
        added = editor.add_by_name(current.portfolio, st.session_state.get(NAME_KEY), st.session_state.get(SIDE_KEY),
                                   st.session_state.get(SIZE_KEY), st.session_state.get(ENTRY_KEY), current.market,
                                   live_panel.market_date(current))
    except PortfolioError as error:
        st.session_state[NAME_MESSAGE_KEY] = ("error", str(error))
        return
    state.forget_link_error()
    state.save(current.with_book(samples.edited(added.portfolio), "outside", sample=state.CUSTOM))
    entry = added.position.entry_price
    how = (f"at today's price {text.price(entry)}" if added.entry_from_market
           else f"entry {text.price(entry)}" if entry is not None else "no premium given")
    message = (f"Added row {len(added.portfolio.positions)}: {describe(added.position)} ({how}). "
               f"Read as {added.parsed.describe()}.")
    st.session_state[NAME_MESSAGE_KEY] = ("success", message + (f" {added.note}" if added.note else ""))
    st.session_state[NAME_KEY] = ""


def name_box(ws: state.Workspace, table_errors: bool) -> None:
    """The "Add by instrument name" form, under the positions table (drawn while its expander is open)."""
    panel = st.expander("Add a position by its venue name (Deribit, OKX, Binance)", key=NAME_OPEN_KEY,
                        on_change="rerun")
    if panel.open:
        _name_form(panel, ws, table_errors)
    message = st.session_state.pop(NAME_MESSAGE_KEY, None)
    if message:
        (st.success if message[0] == "success" else st.error)(message[1])


def _name_form(panel, ws: state.Workspace, table_errors: bool) -> None:
    with panel:
        st.caption(f"Expiries count days from the market's date, {live_panel.market_date(ws):%d %b %Y}. "
                   "Accepted names: " + "; ".join(ACCEPTED_PATTERNS) + ".")
        if table_errors:
            st.info("Fix the table's rows first: adding a position restarts the table from the last valid book.")
            return
        with st.form("name_entry", clear_on_submit=False, border=False):
            name_col, side_col, size_col, entry_col = st.columns([2.2, 1, 1.2, 1.2])
            name_col.text_input("Instrument name", key=NAME_KEY, placeholder="BTC-PERPETUAL",
                                help="Deribit BTC-PERPETUAL / BTC-27MAR26 / BTC-27MAR26-100000-C, OKX BTC-USDT-SWAP / "
                                     "BTC-USD-SWAP / BTC-USD-260327, Binance BTCUSDT / BTCUSD_PERP / BTC-260327-100000-C")
            side_col.selectbox("Side", list(editor.SIDES), key=SIDE_KEY)
            size_col.number_input("Size", min_value=0.0, value=None, key=SIZE_KEY, format="%.6g",
                                  help="USD of face value for a coin-margined (inverse) perp or future (Deribit "
                                       "BTC-PERPETUAL, OKX BTC-USD-SWAP, Binance BTCUSD_PERP); coins otherwise")
            entry_col.number_input("Entry (USD, optional)", min_value=0.0, value=None, key=ENTRY_KEY, format="%.6g",
                                   help="blank: today's price for a perp or future; an option's premium, display only")
            st.form_submit_button("Add to the book", on_click=_add_by_name)


def _apply(result: ImportResult, file_name: str) -> None:
    """Button callback: the book's positions become the file's (collateral kept), the venue's rule sets."""
    current = state.get()
    book = type(current.portfolio)(result.positions, current.portfolio.collateral)
    state.forget_link_error()
    changed = current.with_book(book, "outside", sample=state.CUSTOM).with_rules(result.cross_preset,
                                                                                result.portfolio_preset)
    state.save(changed)
    st.session_state[MESSAGE_KEY] = ("success", f"Imported {len(result.positions)} position"
                                                f"{'s' if len(result.positions) != 1 else ''} from {file_name} "
                                                f"({result.venue_title}). {_rules_sentence(result, changed)}")
    st.session_state.pop(DONE_KEY, None)


def _rules_sentence(result: ImportResult, ws: state.Workspace) -> str:
    parts = [f"Cross rule set: {preset_title('cross', ws.cross_preset)}"
             + ("" if result.cross_preset else f" (kept: no {result.venue_title} cross preset here)"),
             f"portfolio rule set: {preset_title('portfolio', ws.portfolio_preset)}"
             + ("" if result.portfolio_preset else f" (kept: no {result.venue_title} portfolio preset here)")]
    return "; ".join(parts) + "."


def _preview(result: ImportResult) -> pd.DataFrame:
    return pd.DataFrame({"Venue name": list(result.labels),
                         "Position": [describe(p) for p in result.positions],
                         "Entry (USD)": [text.price(p.entry_price) if getattr(p, "entry_price", None) else "–"
                                         for p in result.positions]})


def draw(ws: state.Workspace) -> None:
    """The import expander (after the page's portfolio uploader, which stays the page's first), drawn while open."""
    if MESSAGE_KEY in st.session_state:
        st.session_state[IMPORT_OPEN_KEY] = True  # the import's note is said inside it
    panel = st.expander(EXPANDER_LABEL, key=IMPORT_OPEN_KEY, on_change="rerun")
    if not panel.open:
        st.session_state.pop(DONE_KEY, None)
        return
    with panel:
        st.caption("Save the JSON your venue returns for its positions (Deribit private/get_positions, OKX GET "
                   "/api/v5/account/positions, Binance GET /fapi/v2 or v3/positionRisk) and load it here. No keys, "
                   "nothing online. Sizes in contracts are converted with the venue's published contract values; "
                   f"expiries count days from the market's date, {live_panel.market_date(ws):%d %b %Y}.")
        uploaded = st.file_uploader("Venue positions (JSON)", type=["json"], key=UPLOAD_KEY)
        message = st.session_state.pop(MESSAGE_KEY, None)
        if message:
            st.success(message[1])
        if uploaded is None:
            st.session_state.pop(DONE_KEY, None)
            return
        done = st.session_state.get(DONE_KEY)
        if done is None or done[0] != uploaded.file_id:
            try:
                result, error = import_positions(uploaded.getvalue(), ws.market, live_panel.market_date(ws)), None
            except PortfolioError as refused:
                result, error = None, str(refused)
            except Exception as failure:  # noqa: BLE001 - a bad file must never break the page
                result, error = None, f"{type(failure).__name__}: {failure}"
            done = (uploaded.file_id, result, error)
            st.session_state[DONE_KEY] = done
        _, result, error = done
        if error:
            st.error(f"Could not import {uploaded.name}: {error} Nothing was imported; your book is unchanged.")
            return
        if result is None:
            return
        st.markdown(f"**{uploaded.name}**: {result.venue_title}, {result.rows} row{'s' if result.rows != 1 else ''}, "
                    f"{len(result.positions)} position{'s' if len(result.positions) != 1 else ''}.")
        st.dataframe(_preview(result), hide_index=True, width="stretch")
        for note in result.notes:
            st.caption(note)
        rules = [f"cross {result.cross_preset}" if result.cross_preset else "",
                 f"portfolio {result.portfolio_preset}" if result.portfolio_preset else ""]
        st.button(f"Replace the book's positions with these and select the {result.venue_title} rule sets "
                  f"({', '.join(r for r in rules if r)})", type="primary", on_click=_apply,
                  args=(result, uploaded.name), key="venue_import_apply",
                  help="The collateral table is kept; the positions table, sliders and the sidebar's rule sets follow.")
