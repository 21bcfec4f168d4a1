"""Every chart builder applied to one book: shared by the chart tests (content and margins)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from charts import compare, liquidation, shocks
from margin import (
    cross_margin,
    detect_jumps,
    liquidation_prices,
    margin_curves,
    portfolio_margin,
    shock_sweep,
    simulate_pnl,
    value_at_risk,
)
from views import metrics


def chart_figures(book, market, asset: str, modes: tuple[str, ...], sweep=None, n_paths: int = 20_000) -> dict:
    """name -> go.Figure for every chart the pages draw, on ``book`` with ``asset`` moving for the
    liquidation chart under ``modes``; the scenario grid when the binding unit has one."""
    cm, pm = cross_margin(book, market), portfolio_margin(book, market)
    today = market.prices[asset]
    curves = margin_curves(book, market, asset, metrics.price_grid(today), modes)
    found = {mode: liquidation_prices(book, market, asset, mode) for mode in modes}
    if sweep is None:
        sweep = shock_sweep(book, market, metrics.VOL_MULTS, metrics.CORR_SHOCKS)
    jumps = metrics.jumps_on_line(detect_jumps(sweep, along="vol_mult"), "corr_shock", 0.0)
    figures = {
        "bars": compare.requirement_bars(cm, pm),
        "liquidation": liquidation.liquidation_chart(curves, asset, today, found),
        "vol_lines": shocks.sweep_lines(metrics.sweep_line(sweep, "corr_shock", 0.0), "vol_mult", jumps),
        "corr_lines": shocks.sweep_lines(metrics.sweep_line(sweep, "vol_mult", 1.0), "corr_shock"),
        "heatmap": shocks.sweep_heatmap(sweep),
        "var": shocks.pnl_histogram(simulate_pnl(book, market, n_paths=n_paths), value_at_risk(book, market),
                                    value_at_risk(book, market, method="monte-carlo")),
    }
    unit = pm.details.get("binding_unit")
    if unit in pm.scenario_grids:
        figures["grid"] = shocks.scenario_grid_heatmap(pm.scenario_grids[unit], unit)
    return figures


@dataclass(frozen=True)
class DrawnChart:
    """A chart an AppTest run drew with ui.page.chart: its key and its plotly figure (a dict)."""

    key: str
    spec: dict
    config: dict


def drawn_charts(at) -> list[DrawnChart]:
    """Every chart ``at`` (an AppTest after a run) drew, in page order: ui.live_chart's components, or
    st.plotly_chart elements where the component was not available."""
    from ui import live_chart

    found = []
    for element in at.get("bidi_component"):
        if element.proto.component_name == live_chart.COMPONENT_NAME:
            data = json.loads(element.proto.json)
            found.append(DrawnChart(data["key"], json.loads(data["spec"]), data["config"]))
    for element in at.get("plotly_chart"):
        found.append(DrawnChart(element.key, json.loads(element.proto.spec), json.loads(element.proto.config or "{}")))
    return found
