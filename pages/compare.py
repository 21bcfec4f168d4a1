"""Compare: what cross and portfolio margin ask for the same book, and why."""

import streamlit as st

from margin import CROSS_PRESETS, PORTFOLIO_PRESETS
from ui import cached, glossary, metrics, page, state, text

TABLES_KEY = "compare_tables"

slot = page.begin()
st.title("Cross vs portfolio margin")
ws = state.get()
cross = cached.safe(cached.cross, ws.portfolio, ws.market, ws.cross_preset)
portfolio = cached.safe(cached.portfolio, ws.portfolio, ws.market, ws.portfolio_preset)
if cross is None or portfolio is None:
    page.stop(slot)

st.caption(f"Rule sets: cross = **{ws.cross_preset}**, portfolio = **{ws.portfolio_preset}** "
           "(change them in the sidebar).")
st.info(text.BINANCE_NOTE)


def card(label: str, value: str, reading: str, delta: str | None = None, term: str | None = None) -> None:
    st.metric(label, value, delta=delta, delta_color="inverse", border=True,
              help=glossary.tooltip(term) if term else None)
    st.caption(reading)


left, right = st.columns(2)
with left:
    st.subheader(f"Cross margin · {ws.cross_preset}")
    card("Cross initial margin", text.money(cross.initial), text.read_initial("cross", cross.initial),
         term="initial margin")
    card("Cross maintenance margin", text.money(cross.maintenance), text.read_maintenance("cross", cross.maintenance),
         term="maintenance margin")
    card("Cross equity", text.money(cross.equity), text.read_equity(cross.equity, "cross"), term="equity")
    card("Cross margin ratio", text.ratio(cross.margin_ratio), text.read_margin_ratio(cross.margin_ratio, "cross"),
         term="margin ratio")
    card("Cross free collateral", text.money(cross.free_collateral),
         text.read_free_collateral(cross.free_collateral, "cross"), term="free collateral")
with right:
    st.subheader(f"Portfolio margin · {ws.portfolio_preset}")
    card("Portfolio initial margin", text.money(portfolio.initial), text.read_initial("portfolio", portfolio.initial),
         delta=text.versus_cross(portfolio.initial, cross.initial), term="initial margin")
    card("Portfolio maintenance margin", text.money(portfolio.maintenance),
         text.read_maintenance("portfolio", portfolio.maintenance),
         delta=text.versus_cross(portfolio.maintenance, cross.maintenance), term="maintenance margin")
    card("Portfolio equity", text.money(portfolio.equity), text.read_equity(portfolio.equity, "portfolio"),
         term="equity")
    card("Portfolio margin ratio", text.ratio(portfolio.margin_ratio),
         text.read_margin_ratio(portfolio.margin_ratio, "portfolio"), term="margin ratio")
    card("Portfolio free collateral", text.money(portfolio.free_collateral),
         text.read_free_collateral(portfolio.free_collateral, "portfolio"), term="free collateral")

st.subheader("Hedging benefit")
benefit, share = metrics.hedging_benefit(cross.initial, portfolio.initial)
c1, c2 = st.columns(2)
with c1:
    card("Hedging benefit (USD)", text.money(benefit), text.read_hedging_benefit(benefit, share),
         term="hedging benefit")
with c2:
    card("Hedging benefit (% of cross initial)", text.percent(share),
         "Cross initial minus portfolio initial, over cross initial; negative means portfolio margin costs more.",
         term="hedging benefit")
if benefit < -0.5:
    st.warning(f"Portfolio margin costs MORE than cross margin for this book: {text.money(-benefit)} more initial "
               "margin. Risk-based margin charges the full stress loss of unhedged risk.")

page.chart(cached.requirement_figure(ws.portfolio, ws.market, ws.cross_preset, ws.portfolio_preset), key="compare_bars")
st.caption(text.read_binding(portfolio.binding_scenario)
           + f" ({glossary.term_link('binding scenario', 'what is a binding scenario?')})")


def breakdown_tables(cross, portfolio) -> None:
    st.subheader("Cross margin: a requirement per position")
    st.caption("Cross margin adds up each position's own requirement; nothing offsets anything.")
    st.dataframe(
        cross.breakdown, hide_index=True, width="stretch",
        column_config={
            "qty": st.column_config.NumberColumn("Qty", format="%.6g"),
            "notional": st.column_config.NumberColumn("Notional (USD)", format="dollar"),
            "mark": st.column_config.NumberColumn("Mark (USD)", format="%.6g"),
            "equity": st.column_config.NumberColumn("Equity part (USD)", format="dollar"),
            "initial": st.column_config.NumberColumn("Initial (USD)", format="dollar"),
            "maintenance": st.column_config.NumberColumn("Maintenance (USD)", format="dollar"),
        },
    )
    st.subheader("Portfolio margin: a requirement per component")
    st.caption(f"Each {glossary.term_link('risk unit')}'s worst scenario loss, the "
               f"{glossary.term_link('correlation offset', 'offset')} the correlations allow, and the "
               f"{glossary.term_link('add-on', 'add-ons')}.")
    st.dataframe(
        portfolio.breakdown, hide_index=True, width="stretch",
        column_config={
            "maintenance": st.column_config.NumberColumn("Maintenance (USD)", format="dollar"),
            "initial": st.column_config.NumberColumn("Initial (USD)", format="dollar"),
        },
    )


# Folded and drawn only when opened: two data grids are the costliest thing a browser redraws here.
tables = st.expander("Breakdown tables: per position (cross) and per component (portfolio)", key=TABLES_KEY,
                     on_change="rerun")
if tables.open:
    with tables:
        breakdown_tables(cross, portfolio)
sources = st.expander("Where the rule sets come from", key="compare_sources", on_change="rerun")
if sources.open:  # drawn only when asked for: fewer elements for the browser to redraw per change
    sources.markdown(f"**Cross · {ws.cross_preset}**: {CROSS_PRESETS[ws.cross_preset].source}")
    sources.markdown(f"**Portfolio · {ws.portfolio_preset}**: {PORTFOLIO_PRESETS[ws.portfolio_preset].source}")
page.end(slot)
