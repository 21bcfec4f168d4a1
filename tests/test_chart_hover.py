"""Chart labels read as the numbers do (a user walk's findings): hover labels with d3 formats that trim zeros
and put prices in dollars ("×3.00000" on the Shocks lines, raw "($92.3579k, 55)" on the smile curves), and a
liquidation label that says "now" for an account already below maintenance (it gave today's price)."""

from __future__ import annotations

import pandas as pd

from charts.shocks import sweep_lines
from charts.smile import smile_chart
from margin import shock_sweep
from views import metrics
from views.samples import load_sample


def test_the_volatility_sweep_hover_trims_the_multiplier():
    book, market = load_sample("03_btc_eth_pair.json")
    sweep = shock_sweep(book, market, metrics.VOL_MULTS, metrics.CORR_SHOCKS)
    figure = sweep_lines(metrics.sweep_line(sweep, "corr_shock", 0.0), "vol_mult")
    templates = [trace.hovertemplate for trace in figure.data]
    assert templates and all(t and "×%{x:~g}" in t for t in templates), templates


def test_every_smile_trace_has_a_dollar_and_percent_hover():
    curves = pd.DataFrame({"expiry_days": [14.0, 14.0, 30.0, 30.0], "strike": [80_000.0, 96_000.0] * 2,
                           "vol": [0.6, 0.55, 0.58, 0.54]})
    points = pd.DataFrame({"label": ["short call"], "strike": [96_000.0], "vol": [0.55]})
    figure = smile_chart(curves, points, "BTC", 87_960.0)
    lines = [trace for trace in figure.data if trace.mode == "lines"]
    assert len(lines) == 2
    for trace in lines:
        assert "%{x:$,.0f}" in trace.hovertemplate and "%{y:.1f} %" in trace.hovertemplate
    assert all(trace.hovertemplate for trace in figure.data)


def test_an_account_already_below_maintenance_is_labelled_liquidated_now_on_both_charts():
    """The user walk: with the book below maintenance at today's price, the payoff chart labelled both modes
    "liq. $87,960", today's price; the label now says "now" (the Liquidation chart's too)."""
    import numpy as np

    from charts.liquidation import liquidation_chart
    from charts.workbench import payoff_chart

    today = 87_960.0
    prices = today * np.linspace(0.6, 1.4, 41)
    frame = pd.DataFrame({"price": prices, "pnl_expiry": prices - today, "pnl_now": prices - today})
    figure = payoff_chart(frame, "BTC", today, 0, {"cross": today, "portfolio": 95_000.0}, now={"cross"})
    labels = next(trace for trace in figure.data if trace.name == "liquidation prices").text
    assert any("Cross liq." in label and "now" in label and "$" not in label for label in labels), labels
    assert any("Portfolio liq." in label and "$95,000" in label for label in labels), labels
    curves = pd.DataFrame({"price": prices, "equity_cross": prices - 60_000.0, "equity_portfolio": prices - 60_000.0,
                           "maintenance_cross": prices - 50_000.0})
    found = {"cross": {"below": today, "above": today, "already": True}}
    chart = liquidation_chart(curves, "BTC", today, found)
    labels = next(trace for trace in chart.data if trace.name == "liquidation prices").text
    assert len(labels) == 1 and "now" in labels[0] and "$" not in labels[0], labels
