"""Chart builders: plain go.Figures, SVG traces, few points, one colour per margin mode everywhere."""

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from charts import shocks, style
from margin import (
    cross_margin,
    default_market,
    liquidation_prices,
    load_portfolio,
    portfolio_margin,
    shock_sweep,
)
from tests.figures import chart_figures
from views import metrics

SAMPLES = Path(__file__).resolve().parents[1] / "sample_portfolios"


@pytest.fixture(scope="module")
def market():
    return default_market()


@pytest.fixture(scope="module")
def pair():
    return load_portfolio(SAMPLES / "03_btc_eth_pair.json")


@pytest.fixture(scope="module")
def sweep(pair, market):
    return shock_sweep(pair, market, metrics.VOL_MULTS, metrics.CORR_SHOCKS)


@pytest.fixture(scope="module")
def figures(pair, market, sweep):
    return chart_figures(pair, market, "BTC", ("cross", "portfolio", "isolated"), sweep)


def _points(trace) -> int:
    sizes = [np.size(getattr(trace, name)) for name in ("x", "y", "z") if getattr(trace, name, None) is not None]
    return max(sizes) if sizes else 0


def _colour(trace) -> str | None:
    if trace.type == "bar":
        return trace.marker.color
    if trace.type == "scatter":
        return trace.line.color if trace.mode and "lines" in trace.mode else trace.marker.color
    return None


def test_every_builder_returns_a_figure_of_svg_traces_with_few_points(figures):
    for name, figure in figures.items():
        assert isinstance(figure, go.Figure), name
        assert figure.data, f"{name} has no trace"
        for trace in figure.data:
            assert trace.type != "scattergl", f"{name}: WebGL trace"
            assert _points(trace) <= style.MAX_POINTS, f"{name}: {trace.name} has {_points(trace)} points"


def test_mode_colours_are_the_same_on_every_chart(figures):
    seen = {}
    for name, figure in figures.items():
        for trace in figure.data:
            mode = (trace.meta or {}).get("mode") if isinstance(trace.meta, dict) else None
            colour = _colour(trace)
            if mode is None or colour is None:
                continue
            assert colour == style.MODE_COLORS[mode], f"{name}: {trace.name} is {colour}, {mode} is {style.MODE_COLORS[mode]}"
            seen.setdefault(mode, set()).add(name)
    assert {"cross", "portfolio", "isolated", "equity"} <= set(seen)
    assert len(seen["cross"]) >= 3 and len(seen["portfolio"]) >= 3
    assert len({style.CROSS_COLOR, style.PORTFOLIO_COLOR, style.ISOLATED_COLOR, style.EQUITY_COLOR}) == 4


def test_text_is_projector_sized_and_money_axes_say_usd(figures):
    for name, figure in figures.items():
        assert figure.layout.font.size >= 16, name
        titles = f"{figure.layout.xaxis.title.text} {figure.layout.yaxis.title.text}"
        if name in ("bars", "liquidation", "vol_lines", "corr_lines", "var"):
            assert "USD" in titles, f"{name}: axis titles {titles!r} lack the unit"


def test_requirement_bars_pair_cross_and_portfolio_initial_and_maintenance(figures, pair, market):
    bars = figures["bars"]
    cm, pm = cross_margin(pair, market), portfolio_margin(pair, market)
    assert [t.type for t in bars.data] == ["bar", "bar"]
    assert list(bars.data[0].y) == pytest.approx([cm.initial, cm.maintenance])
    assert list(bars.data[1].y) == pytest.approx([pm.initial, pm.maintenance])


def test_liquidation_chart_draws_equity_each_maintenance_and_labelled_liquidation_lines(figures, pair, market):
    figure = figures["liquidation"]
    names = [t.name for t in figure.data]
    assert names[:4] == ["Equity", "Cross maintenance", "Portfolio maintenance", "Isolated maintenance"]
    cross_liq = liquidation_prices(pair, market, "BTC", "cross")["below"]
    vertical = [s.x0 for s in figure.layout.shapes if s.x0 == s.x1]
    assert any(abs(x - cross_liq) < 1e-6 for x in vertical)
    labels = next(t for t in figure.data if t.name == "liquidation prices")
    assert any("Cross liq." in text for text in labels.text)
    prices = figure.data[0].x
    assert prices.min() == pytest.approx(0.3 * market.prices["BTC"]) and prices.max() == pytest.approx(2 * market.prices["BTC"])


def test_sweep_lines_mark_jumps_with_the_scenario_that_became_binding(figures):
    figure = figures["vol_lines"]
    jump_traces = [t for t in figure.data if t.name.startswith("Jump")]
    assert len(jump_traces) == 1 and len(jump_traces[0].x) >= 1
    jumps = jump_traces[0]
    assert "text" in jumps.mode and list(jumps.text) == [str(i + 1) for i in range(len(jumps.x))]
    assert all(scenario.startswith("→ ") for scenario in jumps.customdata)
    assert {"Cross initial", "Cross maintenance", "Portfolio initial", "Portfolio maintenance"} <= {
        t.name for t in figure.data}


def test_scenario_grid_outlines_the_worst_cell(figures, pair, market):
    pm = portfolio_margin(pair, market)
    grid = pm.scenario_grids[pm.details["binding_unit"]]
    row, col = np.unravel_index(int(np.argmin(grid.to_numpy())), grid.shape)
    (shape,) = figures["grid"].layout.shapes
    assert (shape.x0 + shape.x1) / 2 == pytest.approx(col) and (shape.y0 + shape.y1) / 2 == pytest.approx(row)


def test_var_histogram_is_pre_binned_and_marks_both_var_lines(figures):
    figure = figures["var"]
    assert figure.data[0].type == "bar" and len(figure.data[0].x) <= 100
    assert len([s for s in figure.layout.shapes if s.x0 == s.x1]) == 2


def test_heatmap_covers_the_whole_10_by_11_sweep(figures):
    z = np.asarray(figures["heatmap"].data[0].z)
    assert z.shape == (len(metrics.VOL_MULTS), len(metrics.CORR_SHOCKS))


def test_correlation_shock_axes_say_what_minus_one_and_plus_one_do(figures):
    for name in ("corr_lines", "heatmap"):
        title = figures[name].layout.xaxis.title.text
        assert "−1 = hedges break: every correlation falls to 0" in title and "+1 = all rise to 1" in title, name
    columns = list(figures["heatmap"].data[0].x)
    assert columns[0] == "−1.0" and "0" in columns and columns[-1] == "+1.0" and not any("-" in c for c in columns)
    assert "correlation shock" in figures["corr_lines"].data[0].hovertemplate


def test_scenario_grid_columns_use_a_true_minus(figures):
    columns = list(figures["grid"].data[0].x)
    assert columns[0].startswith("−") and "0 %" in columns and not any("-" in c for c in columns)


def test_scenario_grid_title_says_when_every_vol_row_is_the_same(figures, market):
    assert "every vol row the same" in figures["grid"].layout.title.text  # the BTC/ETH pair: perps only
    book = load_portfolio(SAMPLES / "04_covered_call.json")
    pm = portfolio_margin(book, market)
    unit = pm.details["binding_unit"]
    title = shocks.scenario_grid_heatmap(pm.scenario_grids[unit], unit).layout.title.text
    assert title == f"Scenario P&L of the {unit} risk unit (worst cell outlined)"


# -- layout: legend placement, labels that fit a phone (issue 16 item 7) ---------------------------
def test_every_legend_sits_in_the_figures_bottom_corner_in_normal_and_presenter_size(figures):
    for name, figure in figures.items():
        for spec in (figure.to_plotly_json(), style.scale_spec(figure.to_plotly_json(), 1.4)):
            legend, height = spec["layout"]["legend"], spec["layout"]["height"]
            assert (legend["xref"], legend["yref"], legend["yanchor"], legend["xanchor"]) == (
                "container", "container", "bottom", "left"), name
            assert 0 < legend["y"] * height < 12, f"{name}: the legend floats {legend['y'] * height:.0f} px up"
            assert spec["layout"]["margin"]["pad"] == 0, name


def test_a_label_goes_on_the_roomier_side_of_its_line():
    assert style.label_side(20, 0, 100) == "right" and style.label_side(50, 0, 100) == "right"
    assert style.label_side(80, 0, 100) == "left"


def test_liquidation_labels_face_the_room_and_are_not_clipped_at_the_plot_edge(figures, market):
    figure = figures["liquidation"]
    labels = next(t for t in figure.data if t.name == "liquidation prices")
    low, high = figure.layout.xaxis.range
    assert labels.cliponaxis is False
    for x, text, position in zip(labels.x, labels.text, labels.textposition, strict=True):
        side = style.label_side(x, low, high)
        assert position == f"middle {side}"
        name, price = text.split("<br>")
        assert "liq." in name and price.strip().startswith("$")  # two short lines, not one long one
    today = next(a for a in figure.layout.annotations if a.text.startswith("today"))
    assert today.xanchor == ("left" if style.label_side(today.x, low, high) == "right" else "right")


def test_requirement_bars_break_the_category_names_and_hide_amounts_that_would_shrink(figures):
    bars = figures["bars"]
    assert list(bars.layout.xaxis.ticktext) == ["Initial<br>margin", "Maintenance<br>margin"]
    assert list(bars.layout.xaxis.tickvals) == list(bars.data[0].x) == ["Initial margin", "Maintenance margin"]
    assert bars.layout.uniformtext.mode == "hide" and bars.layout.uniformtext.minsize == style.FONT_SIZE


def test_the_var_lines_are_named_in_the_legend_in_their_own_dash(figures):
    figure = figures["var"]
    named = [t for t in figure.data if t.type == "scatter"]
    assert [t.name.split(":")[0] for t in named] == ["99 % VaR Monte Carlo", "99 % VaR delta-normal"]
    dashes = {s.line.dash for s in figure.layout.shapes}
    assert {t.line.dash for t in named} == dashes == {"solid", "dash"}
    assert figure.layout.showlegend is True and figure.data[0].showlegend is False
