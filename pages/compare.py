"""Compare: what cross and portfolio margin ask for the same book, and why."""

import streamlit as st

import charts
from margin import CROSS_PRESETS, PORTFOLIO_PRESETS
from ui import cached, metrics, page, state, text

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


def card(label: str, value: str, reading: str, delta: str | None = None) -> None:
    st.metric(label, value, delta=delta, delta_color="inverse", border=True)
    st.caption(reading)


left, right = st.columns(2)
with left:
    st.subheader(f"Cross margin · {ws.cross_preset}")
    card("Cross initial margin", text.money(cross.initial), text.read_initial("cross", cross.initial))
    card("Cross maintenance margin", text.money(cross.maintenance), text.read_maintenance("cross", cross.maintenance))
    card("Cross equity", text.money(cross.equity), text.read_equity(cross.equity, "cross"))
    card("Cross margin ratio", text.ratio(cross.margin_ratio), text.read_margin_ratio(cross.margin_ratio, "cross"))
    card("Cross free collateral", text.money(cross.free_collateral),
         text.read_free_collateral(cross.free_collateral, "cross"))
with right:
    st.subheader(f"Portfolio margin · {ws.portfolio_preset}")
    card("Portfolio initial margin", text.money(portfolio.initial), text.read_initial("portfolio", portfolio.initial),
         delta=text.versus_cross(portfolio.initial, cross.initial))
    card("Portfolio maintenance margin", text.money(portfolio.maintenance),
         text.read_maintenance("portfolio", portfolio.maintenance),
         delta=text.versus_cross(portfolio.maintenance, cross.maintenance))
    card("Portfolio equity", text.money(portfolio.equity), text.read_equity(portfolio.equity, "portfolio"))
    card("Portfolio margin ratio", text.ratio(portfolio.margin_ratio),
         text.read_margin_ratio(portfolio.margin_ratio, "portfolio"))
    card("Portfolio free collateral", text.money(portfolio.free_collateral),
         text.read_free_collateral(portfolio.free_collateral, "portfolio"))

st.subheader("Hedging benefit")
benefit, share = metrics.hedging_benefit(cross.initial, portfolio.initial)
c1, c2 = st.columns(2)
with c1:
    card("Hedging benefit (USD)", text.money(benefit), text.read_hedging_benefit(benefit, share))
with c2:
    card("Hedging benefit (% of cross initial)", text.percent(share),
         "Cross initial minus portfolio initial, over cross initial; negative means portfolio margin costs more.")
if benefit < -0.5:
    st.warning(f"Portfolio margin costs MORE than cross margin for this book: {text.money(-benefit)} more initial "
               "margin. Risk-based margin charges the full stress loss of unhedged risk.")

st.plotly_chart(charts.requirement_bars(cross, portfolio), theme=None, key="compare_bars")
st.caption(text.read_binding(portfolio.binding_scenario))

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
st.caption("Each risk unit's worst scenario loss, the offset the correlations allow, and the add-ons.")
st.dataframe(
    portfolio.breakdown, hide_index=True, width="stretch",
    column_config={
        "maintenance": st.column_config.NumberColumn("Maintenance (USD)", format="dollar"),
        "initial": st.column_config.NumberColumn("Initial (USD)", format="dollar"),
    },
)
with st.expander("Where the rule sets come from"):
    st.markdown(f"**Cross · {ws.cross_preset}**: {CROSS_PRESETS[ws.cross_preset].source}")
    st.markdown(f"**Portfolio · {ws.portfolio_preset}**: {PORTFOLIO_PRESETS[ws.portfolio_preset].source}")
page.end(slot)
