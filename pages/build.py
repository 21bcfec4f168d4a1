"""Build: the book (positions table, sliders, collateral), the market, save/load and the share link.

A slider of "Adjust one position" changes one position of the book and nothing else, so its move does
not rerun the page: its callback reruns only the fragments that show the book (:func:`book_fragments`:
the positions table, the position picker when a label changes, the sidebar's summary and the narrow
screens' strip, the workbench's open tab, the download and the share link), all in one run; when
something else shows the book too, the whole page. The other controls of the page rerun it whole.
"""

import streamlit as st
from streamlit.errors import StreamlitAPIException

from margin import CROSS_PRESETS, Option, PortfolioError, nearest_correlation
from margin.instruments import INVERSE_TYPES
from margin.io import market_overrides, save_portfolio
from margin.market import is_stablecoin
from ui import compact, history_panel, import_panel, live_panel, page, sidebar, smile_panel, state
from ui import workbench as workbench_panels
from views import coins, editor, metrics, samples, text

UPLOAD_KEY = "build_upload"
PICK_KEY = "build_pick"
FILLED_KEY = "build_filled_entries"
SLIDER_ERROR_KEY = "build_slider_error"
#: Keys of this page's fragments (st.rerun reruns them by these; :func:`book_fragments`).
POSITIONS_FRAGMENT, PICK_FRAGMENT, SLIDERS_FRAGMENT = "build_book_table", "build_book_picker", "build_book_sliders"
SHARE_FRAGMENT = "build_book_files"
STABLES_OPEN_KEY = "build_stables_open"

slot = page.begin()
st.title("Build a book")
ws = state.get()
if ws.portfolio.title or ws.portfolio.story:
    st.info(f"**{ws.portfolio.title}**  \n{ws.portfolio.story}")


def book_fragments(before: state.Workspace, after: state.Workspace, moved) -> list[str] | None:
    """The keys of the fragments to rerun after a slider took the book from ``before`` to ``after`` by moving
    the position ``moved``; None when something outside them shows the book too, so the whole page reruns:
    the open smile panel plots each option's strike and expiry, and the story box the book's title and story."""
    if isinstance(moved, Option) and st.session_state.get(smile_panel.OPEN_KEY):
        return None
    if (before.portfolio.title, before.portfolio.story) != (after.portfolio.title, after.portfolio.story):
        return None  # the first change of a sample marks its title and story, shown at the top of the page
    workbench = workbench_panels.book_fragments(before.portfolio, after.portfolio, after.market)
    picker = [PICK_FRAGMENT] if _labels(before.portfolio) != _labels(after.portfolio) else []
    return [POSITIONS_FRAGMENT, *picker, sidebar.SUMMARY_FRAGMENT, *workbench, SHARE_FRAGMENT]


def _redraw_book(before: state.Workspace, after: state.Workspace, moved) -> None:
    """Rerun what shows the book (:func:`book_fragments`), or the whole page."""
    keys = book_fragments(before, after, moved)
    if keys is None:
        st.rerun()
    try:
        st.rerun(keys)
    except StreamlitAPIException:  # a fragment the last page run did not draw: the whole page, then
        st.rerun()


def _table_edited() -> None:
    """An edit of the positions table (a fragment) reruns the whole page: the book it makes shows everywhere."""
    st.rerun()


def _pick_key(ws: state.Workspace) -> str:
    # Keyed on the book's arrivals from outside (a sample, an upload, a link): the browser would keep
    # showing the previous book's label for the same row number.
    return f"{PICK_KEY}_{ws.editors.collateral}"


def _picked_index(ws: state.Workspace) -> int:
    """The row the picker holds: its index, or the row its label names (the browser sends a label back)."""
    chosen = st.session_state.get(_pick_key(ws), 0)
    if isinstance(chosen, str) and chosen.startswith("Row ") and ":" in chosen:
        number = chosen[4:chosen.index(":")]
        chosen = int(number) - 1 if number.isdigit() else 0
    return chosen if isinstance(chosen, int) and 0 <= chosen < len(ws.portfolio.positions) else 0


# -- positions ---------------------------------------------------------------------------------
st.subheader("Positions")
st.caption("One row per position: type a new one into the empty last row, and tick Remove to take a row out. "
           "Size is in coins, except for inverse (coin-margined) perps and futures, which "
           f"are sized in US dollars of face value under {editor.USD_SIZE_LABEL} and settle in the coin. Sizes are "
           "always positive; the side says long or short. Leave leverage blank for the rule set's maximum, isolated "
           "margin blank for entry notional / leverage, and the entry of a perp or future blank for today's price.")
asset_options = list(ws.market.assets)


def _positions_editor(ws: state.Workspace):
    """The positions table itself (:func:`views.editor.table_frame`: a fixed number of rows, so a slider's
    move changes its values in place, not the widget)."""
    return st.data_editor(
        editor.table_frame(ws.base),
        key=_table_key(ws),
        on_change=_table_edited,
        num_rows="fixed",
        hide_index=False,
        column_order=(editor.REMOVE, *editor.COLUMNS),  # the tick box first, where a narrow screen shows it
        width="stretch",
        placeholder="",
        column_config={
            "_index": st.column_config.NumberColumn("Row", help="the row number the messages and the picker use"),
            "type": st.column_config.SelectboxColumn("Type", options=list(editor.TYPES),
                                                     help="perp, dated future, call or put option, spot holding, or "
                                                          "an inverse (coin-margined) perp or future: sized in USD, "
                                                          "settled in the coin; a coin call or put settles in the coin"),
            "asset": st.column_config.SelectboxColumn("Asset", options=list(ws.market.assets)),
            "side": st.column_config.SelectboxColumn("Side", options=list(editor.SIDES)),
            "size": st.column_config.NumberColumn(editor.SIZE_LABEL, min_value=0.0,
                                                  help="in coins: perps, futures, options and spot holdings"),
            "usd_size": st.column_config.NumberColumn(editor.USD_SIZE_LABEL, min_value=0.0,
                                                      help="inverse perps and futures only: the face value in US "
                                                           "dollars, worth face / price coins; their profit and loss "
                                                           "is paid in the coin"),
            "entry": st.column_config.NumberColumn("Entry (USD)", min_value=0.0,
                                                   help="entry price; left blank on a perp or future (inverse too), "
                                                        "today's price is filled in; for options the premium paid, "
                                                        "display only"),
            "leverage": st.column_config.NumberColumn("Leverage (×)", min_value=1.0, max_value=200.0),
            "strike": st.column_config.NumberColumn("Strike (USD)", min_value=0.0),
            # No max_value: the grid would clip a longer expiry silently; the row's message names the limit.
            "expiry": st.column_config.NumberColumn("Expiry (days)", min_value=0.0),
            "isolated_margin": st.column_config.NumberColumn("Isolated margin (USD)", min_value=0.0),
            editor.REMOVE: st.column_config.CheckboxColumn("Remove", default=False,
                                                           help="tick to take the row out of the book"),
        },
    )


def _table_key(ws: state.Workspace) -> str:
    return f"positions_{ws.editors.positions}"


def _table_edited_since_drawn(ws: state.Workspace) -> bool:
    """Whether the positions table holds edits of its own (applied to the book, but kept by the widget as
    edits of the data it was drawn with): a slider's move must then restart it, or Streamlit would replay
    them over the moved book."""
    edits = st.session_state.get(_table_key(ws)) or {}
    return bool(edits.get("edited_rows"))


@st.fragment(key=POSITIONS_FRAGMENT)
def positions_table():
    """The positions table from the workspace's ``base`` (a slider move shows in it in place, or restarts it
    when it holds edits: :func:`_table_edited_since_drawn`) and what it reads; its edits rerun the page
    (:func:`_table_edited`), which applies them. Returns (the edited table, its positions, its rows' errors,
    the entries filled from today's prices)."""
    ws = state.get()
    edited = _positions_editor(ws)
    completed, filled = editor.fill_entries(edited, ws.market)
    positions, row_errors = editor.frame_positions(completed)
    inverse_rows = coins.read_inverse_rows(ws.portfolio.positions if row_errors else positions, ws.market)
    if inverse_rows:  # here, not with the notes below: it reads each coin-margined row's size
        st.caption(inverse_rows)
    return edited, positions, row_errors, filled


def table_notes(edited, row_errors: list[str]) -> None:
    """What the table says under it that no slider's move changes (drawn by the page, outside the table's
    fragment, so a move does not send them again): its rows' errors (the sliders pause while there are any),
    today's prices of its assets, and the entries just filled in."""
    for message in row_errors:
        st.error(message)
    shown_assets = [a for a in editor.table_assets(edited) if a in ws.market.prices]
    if shown_assets:
        st.caption("Today's prices: " + " · ".join(f"{a} {text.price(ws.market.prices[a])}" for a in shown_assets)
                   + " (set them under Market below).")
    if st.session_state.get(FILLED_KEY):
        st.info(st.session_state.pop(FILLED_KEY))


edited_table, positions, row_errors, filled = positions_table()
rows_changed = editor.restarts_table(edited_table)
table_notes(edited_table, row_errors)
import_panel.name_box(ws, table_errors=bool(row_errors))  # add a position by its Deribit/OKX/Binance name

st.subheader("Collateral")
edited_collateral = st.data_editor(
    editor.collateral_frame(ws.base),
    key=f"collateral_{ws.editors.collateral}",
    num_rows="dynamic",
    hide_index=True,
    column_config={"asset": st.column_config.SelectboxColumn("Asset", options=asset_options),
                   "amount": st.column_config.NumberColumn("Amount (coins; USDC in dollars)")},
)
balances, collateral_errors = editor.frame_collateral(edited_collateral)
for message in collateral_errors:
    st.error(message)

table_errors = row_errors + collateral_errors
if table_errors:
    st.warning("The book still uses your last valid table: fix the rows above and every change applies at once.")
else:
    try:
        candidate = editor.build_portfolio(ws.portfolio, positions, balances)
    except PortfolioError as error:
        st.error(str(error))
    else:
        if filled or rows_changed:
            # Restart the table from the book, so the entries it took from today's prices show in it, a
            # removed row goes, and a new blank last row is there to type the next position into. The
            # picker follows its position to its new row (it holds a row's index: a user walk's next
            # slider move changed another position).
            st.session_state[_pick_key(ws)] = editor.index_after_removal(
                _picked_index(ws), editor.removed_rows(edited_table))
            state.save(ws.with_book(candidate, "filled" if filled else "rows"))
            if filled:
                st.session_state[FILLED_KEY] = text.read_filled_entries(filled)
            st.rerun()
        if candidate != ws.portfolio:
            ws = ws.with_book(candidate, "table")  # saved with the market's changes, below

# -- sliders (drawn into this slot after the run's save, below: they read the saved workspace) ----
st.subheader("Adjust one position")
slider_slot = st.container()


def _apply_slider(field: str, index: int, key: str) -> None:
    """A slider's callback: the book with the position moved becomes the workspace's, then only what shows
    the book is drawn again (:func:`_redraw_book`); a refused value is said under the sliders."""
    current = state.get()
    try:
        position = editor.adjust(current.portfolio.positions[index], field, st.session_state[key])
        moved = state.replace_book(current.portfolio.replace_position(index, position), source="slider",
                                   table_edited=_table_edited_since_drawn(current))
    except (PortfolioError, IndexError) as error:
        st.session_state[SLIDER_ERROR_KEY] = str(error)
        return  # the sliders' fragment reruns and shows it; the book is unchanged
    _redraw_book(current, moved, position)


def _labels(book) -> list[str]:
    """The picker's labels (sizes left out, so a move of a size does not change them)."""
    return [f"Row {i + 1}: {coins.position_label(p)}" for i, p in enumerate(book.positions)]


def _picked() -> None:
    """Another position picked: its sliders, drawn by their own fragment, follow."""
    st.rerun([PICK_FRAGMENT, SLIDERS_FRAGMENT])


@st.fragment(key=PICK_FRAGMENT)
def position_picker(table_errors: bool) -> None:
    """The picker of the position to adjust: each label describes the position as it is now (a slider move
    of its strike or expiry reruns it; ``table_errors`` is the last page run's: the sliders only show while
    the table has none)."""
    ws = state.get()
    if table_errors:
        st.info("Sliders pause while the table has errors, so they cannot overwrite what you typed.")
        return
    if not ws.portfolio.positions:
        st.caption("Add a position to the table to adjust it here.")
        return
    labels = _labels(ws.portfolio)
    # Set on every run, so the label goes to the browser with the options: the browser keeps showing the
    # label it has while the index stays the same (a slider move changes the label, not the index).
    st.session_state[_pick_key(ws)] = _picked_index(ws)
    st.selectbox("Position", list(range(len(labels))), format_func=labels.__getitem__, key=_pick_key(ws),
                 on_change=_picked)


@st.fragment(key=SLIDERS_FRAGMENT)
def position_sliders(table_errors: bool) -> None:
    """The sliders of the picked position. A move changes the book and reruns the fragments that show it,
    not these sliders, which already show the value; they restart from a value set anywhere else."""
    ws = state.get()
    if table_errors or not ws.portfolio.positions:
        return
    index = _picked_index(ws)
    position = ws.portfolio.positions[index]
    asset_max = CROSS_PRESETS[ws.cross_preset].asset_max_leverage(position.asset)
    ranges = metrics.anchored_slider_ranges(position, metrics.same_position(ws.anchor, index, position),
                                            ws.market.prices.get(position.asset, 1.0), asset_max)
    size_name = "Size (USD face value)" if isinstance(position, INVERSE_TYPES) else f"Size ({position.asset})"
    names = {"size": size_name, "leverage": "Leverage (×)", "strike": "Strike (USD)", "expiry": "Expiry (days)"}
    columns = st.columns(len(ranges))
    for column, (field, bounds) in zip(columns, ranges.items(), strict=True):
        # Keyed on the anchor: the slider keeps its identity (and the browser its widget) while
        # dragged, and restarts from a value set elsewhere (the table, a sample).
        key = f"slider_{field}_{ws.editors.sliders}_{index}"
        column.slider(names[field], min_value=bounds["min"], max_value=bounds["max"], value=bounds["value"],
                      step=bounds["step"], key=key, on_change=_apply_slider, args=(field, index, key),
                      format=metrics.slider_format(bounds["step"]) if field == "strike" else None)
    if st.session_state.get(SLIDER_ERROR_KEY):
        st.error(st.session_state.pop(SLIDER_ERROR_KEY))


# -- market ------------------------------------------------------------------------------------
st.subheader("Market")
live_panel.draw(ws)  # the market's date and source; "Refresh from exchange" (online only when pressed)
book_assets = [a for a in ws.portfolio.assets() if a in ws.market.prices]
if not book_assets:
    st.caption("The book holds no asset yet; prices and volatilities appear here for the assets you add.")
prices, vols, pairs = {}, {}, {}
correlation = ws.market.correlation


def market_inputs(assets: list[str]) -> None:
    """Price and volatility inputs for ``assets``, two to a row."""
    for asset in assets:
        left, right = st.columns(2)
        today = ws.market.prices[asset]
        prices[asset] = left.number_input(f"{asset} price (USD)", min_value=1e-9, value=float(today),
                                          step=metrics.nice_step(today), format="%.6g",
                                          key=f"price_{ws.editors.market}_{asset}")
        vols[asset] = right.number_input(f"{asset} volatility (% a year)", min_value=0.1, max_value=2000.0,
                                         value=float(ws.market.vols[asset] * 100), step=5.0,
                                         key=f"vol_{ws.editors.market}_{asset}") / 100.0


def correlation_inputs(pair_list: list[tuple[str, str]]) -> None:
    columns = st.columns(min(4, len(pair_list)))
    for n, (a, b) in enumerate(pair_list):
        pairs[(a, b)] = columns[n % len(columns)].number_input(
            f"ρ {a}/{b}", min_value=-1.0, max_value=1.0, value=float(correlation.loc[a, b]), step=0.05,
            format="%.2f", key=f"rho_{ws.editors.market}_{a}_{b}")


# Stablecoins (priced near $1, barely volatile) are folded away: editable, but not in a student's way.
book_coins = [a for a in book_assets if not is_stablecoin(a)]
stables = [a for a in book_assets if is_stablecoin(a)]
market_inputs(book_coins)
coin_pairs = [(a, b) for i, a in enumerate(book_coins) for b in book_coins[i + 1:]]
if coin_pairs:
    st.markdown("**Correlations** (−1 to 1) between the book's coins")
    correlation_inputs(coin_pairs)
# Drawn only while open (on_change="rerun"); closed, the market keeps the stablecoins' prices and correlations.
stables_panel = st.expander(f"Stablecoins ({', '.join(stables)}): price, volatility and correlations",
                            key=STABLES_OPEN_KEY, on_change="rerun") if stables else None
if stables_panel is not None and stables_panel.open:
    with stables_panel:
        st.caption(text.read_stablecoins(stables, ws.market.prices))
        market_inputs(stables)
        stable_pairs = [(a, b) for i, a in enumerate(book_assets) for b in book_assets[i + 1:]
                        if is_stablecoin(a) or is_stablecoin(b)]
        if stable_pairs:
            st.markdown("**Correlations** with the stablecoins")
            correlation_inputs(stable_pairs)


def _repair(frame) -> None:
    current = state.get()
    try:
        market = current.market.with_correlation(nearest_correlation(frame))
    except PortfolioError as error:
        st.session_state["build_repair_error"] = str(error)
        return
    state.save(current.with_market(market))


smiles = smile_panel.smile_inputs(ws.portfolio, ws.market, ws.editors.market)
try:
    market = editor.edited_market(ws.market, prices, vols)
    if any(ws.market.smile.get(a, (0.0, 0.0)) != pair for a, pair in smiles.items()):
        market = market.with_smile(smiles)
except PortfolioError as error:
    st.error(str(error))
    market = ws.market
wanted = metrics.correlation_with_pairs(market.correlation, pairs)
if not wanted.equals(market.correlation):
    try:
        market = market.with_correlation(wanted)
    except PortfolioError as error:
        culprit = metrics.correlation_culprit(wanted, book_assets)
        named = (f"The pair {culprit[0]}/{culprit[1]} (ρ = {culprit[2]:+.2f}) does not fit with the others. "
                 if culprit else "")
        st.error(f"{named}{error}")
        st.button("Repair correlations", on_click=_repair, args=(wanted,), type="primary",
                  help="Replace the correlations with the nearest valid matrix (Higham's method).")
if st.session_state.get("build_repair_error"):
    st.error(st.session_state.pop("build_repair_error"))
if market != ws.market:
    ws = ws.with_market(market, "controls")
if ws is not state.get():
    state.save(ws)  # the run's one save: what the tables and the market controls changed
with slider_slot:
    position_picker(bool(table_errors))
    position_sliders(bool(table_errors))

# -- the trader's workbench: trade ticket, greeks, payoff (ui/workbench.py) -----------------------
workbench_panels.build_panels()

# -- save, load, share -------------------------------------------------------------------------
st.subheader("Save, load and share")


@st.fragment(key=SHARE_FRAGMENT)
def book_files(part: str) -> None:
    """The workspace's book as a file ("download": the button) or as a link ("link": the share link). One
    fragment at two places, rerun together when a slider moves the book."""
    ws = state.get()
    if part == "download":
        overrides = market_overrides(samples.base_market(), ws.market)
        st.download_button("Download portfolio (JSON)", data=save_portfolio(ws.portfolio, None, overrides),
                           file_name="margin-lab-portfolio.json", mime="application/json", on_click="ignore")
        return
    base_url = (getattr(st.context, "url", None) or "").split("?")[0]
    # Inline code, not st.code: st.code's syntax highlighter is a chunk the browser loads and runs on the
    # page's first visit (~0.36 s of main thread, the landing page's largest single cost; docs/performance.md).
    st.markdown(f"`{base_url}?{state.share_query(ws)}`")


left, right = st.columns(2)
with left:
    book_files("download")
    st.caption("The file holds the positions, the collateral and your market changes.")
uploaded = right.file_uploader("Load a portfolio (JSON)", type=["json"], key=UPLOAD_KEY)
if uploaded is not None:
    done = st.session_state.get("build_upload_done")
    if done is None or done[0] != uploaded.file_id:
        try:
            book, book_market = state.read_document(uploaded.getvalue())
        except PortfolioError as error:
            st.session_state["build_upload_done"] = (uploaded.file_id, str(error))
        except Exception as error:  # noqa: BLE001 - a bad file must never break the page
            st.session_state["build_upload_done"] = (uploaded.file_id, f"{type(error).__name__}: {error}")
        else:
            st.session_state["build_upload_done"] = (uploaded.file_id, None)
            state.replace_book(book, book_market, sample=state.CUSTOM)
            st.rerun()
    message = st.session_state["build_upload_done"][1]
    if message:
        right.error(f"Could not load {uploaded.name}: {message} Your current book is unchanged.")
    else:
        right.success(f"Loaded {uploaded.name}.")

st.markdown("**Share link** (the address bar holds it too): it restores this book and market, the rule sets, "
            "the offsets setting and presenter mode. A click on it selects all of it, ready to copy.")
with st.container(key=compact.LINK_BOX_KEY):  # at most ~5 lines tall, then it scrolls (ui/compact.py)
    book_files("link")
st.caption("Open the Compare page to see what each margin mode asks for this book.")

# -- market data: vols and correlations estimated from a price history (after the JSON uploader,
# which stays the page's first file_uploader) -----------------------------------------------------
import_panel.draw(ws)  # positions from a venue's export (after the portfolio uploader)
history_panel.draw()
page.end(slot)
