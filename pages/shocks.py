"""Shocks: requirements as volatility and correlation are stressed; where they jump; VaR."""

import streamlit as st

import charts
from ui import cached, metrics, state, text

st.title("Shocks: volatility and correlation")
st.caption("One sweep over 10 volatility multipliers × 11 correlation shocks. Cross margin feels volatility only "
           "through option marks and ignores correlation; portfolio margin re-runs its scenarios.")


def _sweep(ws):
    return cached.safe(cached.sweep, ws.portfolio, ws.market, metrics.VOL_MULTS, metrics.CORR_SHOCKS,
                       ws.cross_preset, ws.portfolio_preset)


@st.fragment
def sweep_panel() -> None:
    ws = state.get()
    sweep = _sweep(ws)
    if sweep is None:
        return
    left, right = st.columns(2)
    with left:
        fixed_corr = st.select_slider("Correlation shock held at", options=list(metrics.CORR_SHOCKS), value=0.0,
                                      key="shock_fixed_corr")
        line = metrics.sweep_line(sweep, "corr_shock", fixed_corr)
        jumps = cached.safe(cached.jumps, sweep, "vol_mult")
        marks = metrics.jumps_on_line(jumps, "corr_shock", fixed_corr) if jumps is not None else None
        st.plotly_chart(charts.sweep_lines(line, "vol_mult", marks, "Requirement vs volatility"), theme=None,
                        key="shock_vol_chart")
        for jump in marks.sort_values("vol_mult").itertuples() if marks is not None else ():
            st.caption(text.read_jump("vol_mult", jump.vol_mult, jump.scenario_after, jump.reason))
    with right:
        fixed_vol = st.select_slider("Volatility multiplier held at", options=list(metrics.VOL_MULTS), value=1.0,
                                     format_func=lambda v: f"×{v:g}", key="shock_fixed_vol")
        line = metrics.sweep_line(sweep, "vol_mult", fixed_vol)
        jumps = cached.safe(cached.jumps, sweep, "corr_shock")
        marks = metrics.jumps_on_line(jumps, "vol_mult", fixed_vol) if jumps is not None else None
        st.plotly_chart(charts.sweep_lines(line, "corr_shock", marks, "Requirement vs correlation shock"),
                        theme=None, key="shock_corr_chart")
        for jump in marks.sort_values("corr_shock", ascending=False).itertuples() if marks is not None else ():
            st.caption(text.read_jump("corr_shock", jump.corr_shock, jump.scenario_after, jump.reason))
    st.plotly_chart(charts.sweep_heatmap(sweep, "portfolio_maintenance"), theme=None, key="shock_heatmap")
    st.caption(text.read_sweep_extremes("Portfolio maintenance", float(sweep["portfolio_maintenance"].min()),
                                        float(sweep["portfolio_maintenance"].max())))


@st.fragment
def grid_panel() -> None:
    ws = state.get()
    st.subheader("The binding risk unit's scenario grid")
    pm = cached.safe(cached.portfolio, ws.portfolio, ws.market, ws.portfolio_preset)
    if pm is None:
        return
    unit = pm.details.get("binding_unit")
    if unit is None or unit not in pm.scenario_grids:
        st.info("No risk unit in this book moves with prices, so there is no scenario grid to show.")
        return
    grid = pm.scenario_grids[unit]
    st.plotly_chart(charts.scenario_grid_heatmap(grid, unit), theme=None, key="shock_grid")
    vol_label, move, pnl = metrics.worst_cell(grid)
    st.caption(text.read_worst_cell(unit, move, vol_label, pnl))
    st.caption(text.read_binding(pm.binding_scenario))


@st.fragment
def var_panel() -> None:
    ws = state.get()
    st.subheader("A statistical view: Value-at-Risk, 99 %, one day")
    delta_normal = cached.safe(cached.var, ws.portfolio, ws.market, "delta-normal")
    monte_carlo = cached.safe(cached.var, ws.portfolio, ws.market, "monte-carlo")
    pnl = cached.safe(cached.pnl, ws.portfolio, ws.market)
    if delta_normal is None or monte_carlo is None or pnl is None:
        return
    left, right = st.columns(2)
    with left:
        st.metric("VaR 99 % 1-day, delta-normal", text.money(delta_normal), border=True)
        st.caption(text.read_var("delta-normal", delta_normal))
    with right:
        st.metric("VaR 99 % 1-day, Monte Carlo", text.money(monte_carlo), border=True)
        st.caption(text.read_var("monte-carlo", monte_carlo))
    st.plotly_chart(charts.pnl_histogram(pnl, delta_normal, monte_carlo), theme=None, key="shock_var")
    st.caption("Delta-normal uses today's sensitivities only; Monte Carlo reprices every position on 20,000 "
               "simulated days, so option convexity shows up in its tail.")


sweep_panel()
grid_panel()
var_panel()
