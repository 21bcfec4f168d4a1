"""Shocks: requirements as volatility and correlation are stressed; where they jump; VaR."""

import streamlit as st

from ui import engine_cache, figures, page, state
from views import glossary, metrics, scenario_text, text

slot = page.begin()
st.title("Shocks: volatility and correlation")
st.caption("One sweep over 10 volatility multipliers × 11 correlation shocks. Cross margin feels volatility only "
           "through option marks and ignores correlation; portfolio margin re-runs its scenarios.")


def _sweep(ws):
    return page.safe(engine_cache.sweep, ws.portfolio, ws.market, metrics.VOL_MULTS, metrics.CORR_SHOCKS,
                     ws.cross_preset, ws.portfolio_rules)


LINES = (
    ("vol_mult", "corr_shock", metrics.CORR_SHOCKS, "Correlation shock held at", "Requirement vs volatility"),
    ("corr_shock", "vol_mult", metrics.VOL_MULTS, "Volatility multiplier held at", "Requirement vs correlation shock"),
)
OPTION_LABELS = {"corr_shock": scenario_text.corr_shock_option, "vol_mult": lambda value: f"×{value:g}"}


def _correlation_reading(ws, held: float) -> None:
    """Why the portfolio line along the correlation shock moves or stays flat (segregated offsets: no
    correlation enters), from the sweep's own numbers at the held volatility."""
    sweep = page.safe(engine_cache.sweep, ws.portfolio, ws.market, metrics.VOL_MULTS, metrics.CORR_SHOCKS,
                      ws.cross_preset, ws.portfolio_rules)
    pm = page.safe(engine_cache.portfolio, ws.portfolio, ws.market, ws.portfolio_rules)
    if sweep is None or pm is None:
        return
    line = metrics.sweep_line(sweep, "vol_mult", held)["portfolio_maintenance"]
    losing = sum(1 for loss in metrics.unit_losses(pm.breakdown).values() if not text.is_zero(loss))
    st.caption(scenario_text.read_correlation_line(ws.portfolio_preset, ws.portfolio_offsets, float(line.min()),
                                                   float(line.max()), losing))


@st.fragment
def line_panel(along: str, fixed: str, options: list, label: str, title: str) -> None:
    """One line of the sweep with the slider that picks it: moving the slider redraws this chart only."""
    ws = state.get()
    key = f"shock_fixed_{fixed}"  # kept across pages (ui.page.KEPT_INPUTS)
    held = st.select_slider(label, options=list(options), value=page.kept(key, 1.0 if fixed == "vol_mult" else 0.0),
                            format_func=OPTION_LABELS[fixed], key=key)
    page.remember(key, held)
    if fixed == "corr_shock":
        st.caption(scenario_text.read_corr_shock(held))
    else:
        st.caption(scenario_text.CORR_SHOCK_SCALE)
        _correlation_reading(ws, held)
    marks = page.safe(engine_cache.sweep_jumps, ws.portfolio, ws.market, ws.cross_preset, ws.portfolio_rules, along,
                      held)
    if marks is None:
        return
    figure = page.safe(figures.sweep_line_figure, ws.portfolio, ws.market, ws.cross_preset, ws.portfolio_rules,
                       along, held, title)
    if figure is None:
        return
    page.chart(figure, key=f"shock_{along}_chart")
    for number, jump in enumerate(marks.itertuples(), start=1):
        st.caption(f"{number}. " + scenario_text.read_jump(along, getattr(jump, along), jump.scenario_after, jump.reason,
                                                                    jump.slope_before))
    if marks.empty:
        sweep = page.safe(engine_cache.sweep, ws.portfolio, ws.market, metrics.VOL_MULTS, metrics.CORR_SHOCKS,
                          ws.cross_preset, ws.portfolio_rules)
        line = None if sweep is None else metrics.sweep_line(sweep, fixed, held)["portfolio_maintenance"]
        st.caption(scenario_text.read_no_jump(None if line is None else float(line.min()),
                                              None if line is None else float(line.max())))


def heatmap_panel(sweep) -> None:
    ws = state.get()
    page.chart(figures.sweep_heatmap_figure(ws.portfolio, ws.market, ws.cross_preset, ws.portfolio_rules),
               key="shock_heatmap")
    st.caption(scenario_text.read_sweep_extremes("Portfolio maintenance", float(sweep["portfolio_maintenance"].min()),
                                        float(sweep["portfolio_maintenance"].max())))


@st.fragment
def grid_panel() -> None:
    ws = state.get()
    st.subheader("The binding risk unit's scenario grid")
    pm = page.safe(engine_cache.portfolio, ws.portfolio, ws.market, ws.portfolio_rules)
    if pm is None:
        return
    unit = pm.details.get("binding_unit")
    if unit is None or unit not in pm.scenario_grids:
        st.info("No risk unit in this book moves with prices, so there is no scenario grid to show.")
        return
    grid = pm.scenario_grids[unit]
    page.chart(figures.scenario_grid_figure(ws.portfolio, ws.market, ws.portfolio_rules, unit), key="shock_grid")
    vol_label, move, pnl = metrics.worst_cell(grid)
    st.caption(scenario_text.read_worst_cell(unit, move, vol_label, pnl))
    scenario_loss = pm.details.get("scenario_loss")
    losses = metrics.unit_losses(pm.breakdown)
    st.caption(scenario_text.read_binding(pm.binding_scenario, scenario_loss, metrics.addon_parts(pm.breakdown), losses,
                                          ws.portfolio_rules.mm_factor))
    kind, extreme = metrics.binding_kind(pm.details.get("binding_key"))
    moves, _ = metrics.binding_moves(pm.binding_scenario, list(pm.scenario_grids))
    against = scenario_text.read_binding_against_grid(
        unit, kind, extreme, moves.get(unit), None if pnl >= 0 or round(pnl) == 0 else move, metrics.grid_range(grid),
        losses, float(scenario_loss or 0.0), float(pm.details.get("segregated_loss") or 0.0), vol_label)
    if against:
        st.caption(against)


@st.fragment
def var_panel() -> None:
    ws = state.get()
    st.subheader("A statistical view: Value-at-Risk, 99 %, one day")
    delta_normal = page.safe(engine_cache.var, ws.portfolio, ws.market, "delta-normal")
    monte_carlo = page.safe(engine_cache.var, ws.portfolio, ws.market, "monte-carlo")
    pnl = page.safe(engine_cache.pnl, ws.portfolio, ws.market)
    if delta_normal is None or monte_carlo is None or pnl is None:
        return
    left, right = st.columns(2)
    with left:
        st.metric("VaR 99 % 1-day, delta-normal", text.money(delta_normal), border=True, help=glossary.tooltip("VaR"))
        st.caption(scenario_text.read_var("delta-normal", delta_normal))
    with right:
        st.metric("VaR 99 % 1-day, Monte Carlo", text.money(monte_carlo), border=True, help=glossary.tooltip("VaR"))
        st.caption(scenario_text.read_var("monte-carlo", monte_carlo))
    page.chart(figures.var_figure(ws.portfolio, ws.market), key="shock_var")
    st.caption("Delta-normal uses today's sensitivities only; Monte Carlo reprices every position on 20,000 "
               "simulated days, so option convexity shows up in its tail.")


whole_sweep = _sweep(state.get())  # on error its message shows once, and no panel of it is drawn
if whole_sweep is not None:
    for line in LINES:
        line_panel(*line)
    heatmap_panel(whole_sweep)
if page.presenter_mode():
    # On a projector the sweeps are the story; the grid and the VaR panel wait, folded, drawn when opened.
    for label, panel, key in (("The binding risk unit's scenario grid", grid_panel, "shock_grid_folded"),
                              ("A statistical view: Value-at-Risk", var_panel, "shock_var_folded")):
        folded = st.expander(label, key=key, on_change="rerun")
        if folded.open:
            with folded:
                panel()
else:
    grid_panel()
    var_panel()
page.end(slot)
