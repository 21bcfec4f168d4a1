"""Hover labels read as the axes do (a user walk found "×3.00000" on the Shocks lines and raw numbers such as
"($92.3579k, 55)" on the smile curves): every trace of these charts has a hover template, with d3 formats
that trim zeros and put prices in dollars."""

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
