"""Build page, "Market data": a price history's vols and correlations reach the market, all or nothing.

The pure handler (views.history.handle and friends) is tested on bytes; the page through AppTest
with the example button, the uploader and a history placed in session state.
"""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from charts import history as charts_history
from charts.style import FONT_SIZE
from margin import Market, PortfolioError, default_market
from margin.history import (
    HistoryGapError,
    InconsistentCorrelationError,
    apply_estimates,
    estimate_market_inputs,
    parse_price_history,
)
from tests.figures import drawn_charts
from ui import history_panel as panel
from views import history

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
EXAMPLE = ROOT / "sample_data" / "example_prices.csv"
TIMEOUT = 60
MALFORMED = b"date,BTC,ETH\n2025-01-01,87959.91,2920.5\n2025-01-02,abc,2950.1\n2025-01-03,88100.0,2940.0\n"


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return parse_price_history(EXAMPLE)


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert not any(b.key == panel.EXAMPLE_KEY for b in at.button)  # closed, the panel draws nothing
    at.session_state[panel.OPEN_KEY] = True  # what opening the expander does
    return at.run()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(date_format="%Y-%m-%d", index_label="date").encode()


def with_unknown(prices: pd.DataFrame) -> bytes:
    """The example history with SOL renamed FOO, an asset the market has no price for."""
    return csv_bytes(prices.rename(columns={"SOL": "FOO"}))


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def place_history(at: AppTest, name: str, data: bytes) -> AppTest:
    at.session_state[panel.SOURCE_KEY] = {"kind": "example", "name": name, "data": data, "id": name}
    return at.run()


# -- pure handler ---------------------------------------------------------------------------------
def test_the_handler_applies_every_estimate_of_the_example(prices):
    market = default_market()
    outcome = history.handle(EXAMPLE.read_bytes(), market)
    expected = estimate_market_inputs(prices)
    assert outcome.error is None and outcome.unknown == ()
    for asset in ("BTC", "ETH", "SOL"):
        assert outcome.market.vols[asset] == pytest.approx(expected.vols[asset], rel=1e-12)
    assert outcome.market.correlation.loc["BTC", "ETH"] == pytest.approx(expected.correlation.loc["BTC", "ETH"])
    assert outcome.market.vols["XRP"] == market.vols["XRP"]  # assets outside the file keep theirs
    assert dict(outcome.market.prices) == dict(market.prices)


def test_the_handler_passes_window_method_and_lambda_through(prices):
    outcome = history.handle(EXAMPLE.read_bytes(), default_market(), window=60, method="ewma", lam=0.97)
    expected = estimate_market_inputs(prices, window=60, method="ewma", lam=0.97)
    assert outcome.estimate.n_returns == 60 and outcome.estimate.lam == 0.97
    assert outcome.market.vols["SOL"] == pytest.approx(expected.vols["SOL"], rel=1e-12)


def test_a_malformed_csv_yields_the_parsers_message_and_no_market():
    outcome = history.handle(MALFORMED, default_market())
    assert outcome.market is None and outcome.estimate is None
    assert "line 3" in outcome.error and "BTC" in outcome.error and "abc" in outcome.error
    for junk in (b"", b"\xff\xfe\x00garbage", b"date,BTC\n2025-01-01,1\n", b"date,BTC\n2025-01-01,1\n2025-01-02,1\n2025-01-03,1\n"):
        bad = history.handle(junk, default_market())
        assert bad.market is None and bad.error


def test_assets_unknown_to_the_market_are_named_and_can_be_ignored(prices):
    market = default_market()
    data = with_unknown(prices)
    refused = history.handle(data, market)
    assert refused.market is None and refused.unknown == ("FOO",)
    assert "FOO" in refused.error and "Ignore FOO" in refused.error
    applied = history.handle(data, market, ignore_unknown=True)
    expected = estimate_market_inputs(parse_price_history(data))
    assert applied.error is None and "FOO" not in applied.market.prices
    assert applied.market.vols["BTC"] == pytest.approx(expected.vols["BTC"], rel=1e-12)
    assert applied.market.vols["SOL"] == market.vols["SOL"]
    none_known = history.handle(csv_bytes(prices.rename(columns=lambda c: c + "X")), market, ignore_unknown=True)
    assert none_known.market is None and "none of its assets" in none_known.error


def test_a_clash_with_the_kept_correlations_is_reported_and_repair_fixes_it():
    rng = np.random.default_rng(7)
    common = rng.standard_normal(200) * 0.03
    returns = np.column_stack([common, -common + rng.standard_normal(200) * 0.003])
    closes = 100.0 * np.exp(np.vstack([np.zeros(2), np.cumsum(returns, axis=0)]))
    data = csv_bytes(pd.DataFrame(closes, columns=["BTC", "ETH"],
                                  index=pd.date_range("2025-01-01", periods=201, freq="D")))
    market = Market({"BTC": 1.0, "ETH": 1.0, "XRP": 1.0}, {"BTC": 0.5, "ETH": 0.6, "XRP": 0.8},
                    {("BTC", "XRP"): 0.9, ("ETH", "XRP"): 0.9, ("BTC", "ETH"): 0.85})
    clash = history.handle(data, market)
    assert clash.market is None and clash.inconsistent and "XRP" in clash.error
    assert 'or tick "Repair" below to use the nearest valid matrix' in clash.error and "repair=True" not in clash.error
    repaired = history.handle(data, market, repair=True)
    assert repaired.market is not None and repaired.market.correlation.loc["BTC", "ETH"] < 0


def test_the_engines_refusals_are_typed_and_the_page_words_their_fixes_with_its_own_controls(prices):
    """No message is rewritten: the engine raises HistoryGapError / InconsistentCorrelationError carrying
    what the refusal is about, and the page asks each to say its fix with the page's control."""
    gappy = prices.drop(prices.loc["2025-01-30":"2025-03-30"].index)
    with pytest.raises(HistoryGapError) as refused:
        estimate_market_inputs(gappy)
    error = refused.value
    assert isinstance(error, PortfolioError) and error.returns_after == 275 and [g.days for g in error.gaps] == [60]
    assert str(error) == error.explain() and "or choose a window of at most 275 returns)" in str(error)
    assert error.explain(history.WINDOW_SLIDER).endswith("(delete the rows before it, or move the Window slider "
                                                         "to 275 or less).")
    assert error.explain(None).endswith("(delete the rows before it).")
    clash = dataclasses.replace(estimate_market_inputs(prices[["BTC", "SOL"]]), correlation=pd.DataFrame(
        [[1.0, -0.99], [-0.99, 1.0]], index=["BTC", "SOL"], columns=["BTC", "SOL"]))
    with pytest.raises(InconsistentCorrelationError) as inconsistent:
        apply_estimates(default_market(), clash)
    assert inconsistent.value.estimated == ("BTC", "SOL") and "ETH" in inconsistent.value.kept
    assert "or apply with repair=True to use" in str(inconsistent.value)
    assert 'or tick "Repair" below to use' in inconsistent.value.explain(history.REPAIR_BOX)


def test_a_volatility_the_controls_cannot_show_is_refused():
    days = pd.date_range("2025-01-01", periods=30, freq="D")
    flat = pd.DataFrame({"USDC": 1.0 + 1e-7 * np.sin(np.arange(30))}, index=days)
    outcome = history.handle(csv_bytes(flat), default_market())
    assert outcome.market is None and "USDC" in outcome.error and "outside" in outcome.error


def test_plain_language_readings():
    assert history.read_vol("BTC", 0.55, 365) == "BTC moved about 2.9 % a day, 55 % a year (not in the market)."
    assert "the market uses 70 % today" in history.read_vol("ETH", 0.67, 365, 0.70)
    assert "the same way on about 82 % of days" in history.read_correlation("BTC", "ETH", 0.84)
    assert "opposite ways" in history.read_correlation("BTC", "ETH", -0.5)
    assert "independently" in history.read_correlation("BTC", "ETH", 0.05)
    estimate = estimate_market_inputs(parse_price_history(EXAMPLE), window=30, method="ewma")
    assert history.read_sample(estimate).startswith("Estimated from 30 daily returns, 2 Dec 2025 to 31 Dec 2025")


def without(prices: pd.DataFrame, first: str, last: str | None = None) -> bytes:
    """The example history with the rows from ``first`` to ``last`` (inclusive) deleted."""
    return csv_bytes(prices.drop(prices.loc[first:last or first].index))


def test_a_long_gap_is_refused_with_its_dates_and_the_window_slider_as_a_way_out(prices):
    data = without(prices, "2025-01-30", "2025-03-30")  # issue 16: BTC used to read 73.7 % instead of 54.7 %
    outcome = history.handle(data, default_market())
    assert outcome.market is None and outcome.estimate is None
    for fragment in ("no closes from 2025-01-30 to 2025-03-30 (60 days in a row)", "Fill in the missing closes",
                     "closes from 2025-03-31 on", "move the Window slider to 275 or less"):
        assert fragment in outcome.error, outcome.error
    assert "choose a window" not in outcome.error  # the library's wording, replaced by the page's control
    after = history.handle(data, default_market(), window=275)
    assert after.error is None and after.estimate.gaps == ()
    assert after.market.vols["BTC"] == pytest.approx(estimate_market_inputs(prices, window=275).vols["BTC"], rel=1e-12)
    # Too few returns after the gap for the slider (its minimum is 10): only the file can be fixed.
    late = history.handle(without(prices, "2025-12-20", "2025-12-25"), default_market())
    assert late.market is None and "closes from 2025-12-26 on (delete the rows before it)." in late.error
    assert "slider" not in late.error


def test_a_missing_day_is_bridged_and_said(prices):
    data = without(prices, "2025-02-10")
    outcome = history.handle(data, default_market())
    assert outcome.error is None and outcome.market is not None
    assert [str(g) for g in outcome.estimate.gaps] == ["2025-02-10"]
    assert "363 daily returns (1 of them spans missing days and was scaled to a one-day return" in history.read_sample(
        outcome.estimate)
    full = estimate_market_inputs(prices).vols["BTC"]
    assert outcome.market.vols["BTC"] == pytest.approx(full, abs=0.005)
    assert "see the warning" not in history.read_sample(estimate_market_inputs(prices))


# -- charts ---------------------------------------------------------------------------------------
def test_vol_bars_put_the_estimate_beside_the_market(prices):
    estimate = estimate_market_inputs(prices)
    market = default_market()
    fig = charts_history.vol_bars(estimate, dict(market.vols))
    assert isinstance(fig, go.Figure) and [t.meta["series"] for t in fig.data] == ["market", "estimate"]
    market_bars, estimate_bars = fig.data
    assert list(estimate_bars.x) == ["BTC", "ETH", "SOL"] and len(market_bars.x) == 3
    assert estimate_bars.y == pytest.approx([estimate.vols[a] * 100 for a in ("BTC", "ETH", "SOL")])
    assert market_bars.y == pytest.approx([market.vols[a] * 100 for a in ("BTC", "ETH", "SOL")])
    assert fig.layout.font.size >= FONT_SIZE and "%" in fig.layout.yaxis.title.text
    assert len(charts_history.vol_bars(estimate).data) == 1


def test_the_correlation_heatmap_is_annotated_and_pinned_to_minus_one_one(prices):
    estimate = estimate_market_inputs(prices)
    fig = charts_history.correlation_heatmap(estimate)
    (heatmap,) = fig.data
    assert isinstance(heatmap, go.Heatmap)
    assert np.asarray(heatmap.z).shape == (3, 3)
    assert (heatmap.zmin, heatmap.zmax) == (-1.0, 1.0)
    assert heatmap.texttemplate and heatmap.text[0][0] == "+1.00"
    assert heatmap.text[0][1] == f"{estimate.correlation.loc['BTC', 'ETH']:+.2f}"
    assert heatmap.textfont.size >= FONT_SIZE and fig.layout.font.size >= FONT_SIZE
    assert heatmap.colorscale[0][1] != heatmap.colorscale[-1][1]  # diverging


def test_a_large_heatmap_drops_the_cell_labels():
    rng = np.random.default_rng(1)
    closes = 100 * np.exp(np.cumsum(rng.standard_normal((60, 20)) * 0.02, axis=0))
    frame = pd.DataFrame(closes, columns=[f"A{i}" for i in range(20)],
                         index=pd.date_range("2025-01-01", periods=60, freq="D"))
    fig = charts_history.correlation_heatmap(estimate_market_inputs(frame))
    assert np.asarray(fig.data[0].z).shape == (20, 20) and not fig.data[0].texttemplate
    assert fig.layout.height <= 900


# -- the page -------------------------------------------------------------------------------------
def test_the_example_history_applies_and_the_btc_vol_becomes_the_estimate(app, prices):
    before = app.session_state["workspace"]
    app.button(key=panel.EXAMPLE_KEY).click().run()
    assert not app.exception and not errors(app)
    captions = [c.value for c in app.caption]
    assert any("364 daily returns, 2 Jan 2025 to 31 Dec 2025" in c for c in captions)
    assert any(c.startswith("BTC moved about 2.9 % a day, 55 % a year") for c in captions)
    assert any("no repair was needed" in c for c in captions)
    assert [c.key for c in drawn_charts(app) if c.key.startswith("history_")] == ["history_vol_chart",
                                                                                        "history_corr_chart"]
    assert app.session_state["workspace"].market == before.market  # nothing changes before "Apply"

    app.button(key=panel.APPLY_KEY).click().run()
    assert not app.exception and not errors(app)
    expected = estimate_market_inputs(prices)
    ws = app.session_state["workspace"]
    assert ws.editors.market == before.editors.market + 1
    assert ws.market.vols["BTC"] == pytest.approx(expected.vols["BTC"], rel=1e-12) != before.market.vols["BTC"]
    assert ws.market.vols["SOL"] == pytest.approx(expected.vols["SOL"], rel=1e-12)
    assert ws.market.correlation.loc["BTC", "ETH"] == pytest.approx(expected.correlation.loc["BTC", "ETH"])
    control = next(n for n in app.number_input if n.label == "BTC volatility (% a year)")
    assert control.value == pytest.approx(expected.vols["BTC"] * 100)  # the controls restarted
    assert any("Applied to the market" in s.value for s in app.success)


def test_the_estimator_and_window_widgets_drive_what_is_applied(app, prices):
    app.button(key=panel.EXAMPLE_KEY).click().run()
    app.radio(key=panel.METHOD_KEY).set_value("ewma").run()
    app.slider(key=panel.LAMBDA_KEY).set_value(0.97).run()
    app.slider(key=panel.WINDOW_KEY).set_value(90).run()
    assert not app.exception and not errors(app)
    assert any("90 daily returns" in c.value and "λ = 0.97" in c.value for c in app.caption)
    app.button(key=panel.APPLY_KEY).click().run()
    expected = estimate_market_inputs(prices, window=90, method="ewma", lam=0.97)
    assert app.session_state["workspace"].market.vols["ETH"] == pytest.approx(expected.vols["ETH"], rel=1e-12)


def test_a_malformed_upload_shows_the_message_and_nothing_is_applied(app):
    before = app.session_state["workspace"]
    app.file_uploader(key=panel.UPLOAD_KEY).set_value(("bad.csv", MALFORMED, "text/csv")).run()
    assert not app.exception
    (message,) = errors(app)
    assert "bad.csv" in message and "line 3" in message and "unchanged" in message
    assert "Traceback" not in message
    assert not [b for b in app.button if b.key == panel.APPLY_KEY]
    assert app.session_state["workspace"].market == before.market


def test_unknown_assets_are_named_and_ignoring_them_applies_the_others(app, prices):
    before = app.session_state["workspace"].market
    place_history(app, "with_foo.csv", with_unknown(prices))
    assert not app.exception and not errors(app)
    assert any("FOO is in the file but not in the market" in w.value for w in app.warning)
    assert app.button(key=panel.APPLY_KEY).disabled
    app.checkbox(key=panel.IGNORE_KEY).check().run()
    assert not app.button(key=panel.APPLY_KEY).disabled
    app.button(key=panel.APPLY_KEY).click().run()
    assert not app.exception and not errors(app)
    market = app.session_state["workspace"].market
    expected = estimate_market_inputs(prices)
    assert market.vols["BTC"] == pytest.approx(expected.vols["BTC"], rel=1e-12)
    assert market.vols["SOL"] == before.vols["SOL"] and "FOO" not in market.prices
    assert any("Ignored: FOO" in s.value for s in app.success)


def test_no_traceback_reaches_the_page_whatever_the_source(app):
    for name, data in (("empty.csv", b""), ("binary.csv", bytes(range(256))), ("short.csv", b"date,BTC\n")):
        place_history(app, name, data)
        assert not app.exception, name
        assert errors(app) and all(name in e and "Traceback" not in e for e in errors(app)), name
    app.session_state[panel.SOURCE_KEY] = {"kind": "example", "name": "broken", "data": None, "id": "x"}
    app.run()
    assert not app.exception and errors(app)
    assert all(math.isfinite(v) for v in app.session_state["workspace"].market.vols.values())



def test_a_long_gap_is_shown_in_plain_words_and_the_window_slider_gets_past_it(app, prices):
    before = app.session_state["workspace"]
    data = without(prices, "2025-01-30", "2025-03-30")
    app.file_uploader(key=panel.UPLOAD_KEY).set_value(("gappy.csv", data, "text/csv")).run()
    assert not app.exception
    (message,) = errors(app)
    assert "2025-01-30 to 2025-03-30" in message and "Window slider to 275 or less" in message
    assert "unchanged" in message and "Traceback" not in message
    assert not [b for b in app.button if b.key == panel.APPLY_KEY]
    assert app.session_state["workspace"].market == before.market
    app.slider(key=panel.WINDOW_KEY).set_value(275).run()
    assert not app.exception and not errors(app)
    app.button(key=panel.APPLY_KEY).click().run()
    expected = estimate_market_inputs(prices, window=275)
    assert app.session_state["workspace"].market.vols["BTC"] == pytest.approx(expected.vols["BTC"], rel=1e-12)


def test_a_missing_day_is_named_in_a_warning_and_the_scaled_estimate_applies(app, prices):
    data = without(prices, "2025-02-10")
    place_history(app, "missing_day.csv", data)
    assert not app.exception and not errors(app)
    (warning,) = [w.value for w in app.warning]
    assert "1 day is missing from the history (2025-02-10)" in warning and "√2" in warning
    assert "The file is unchanged" in warning
    assert any("1 of them spans missing days" in c.value for c in app.caption)
    app.button(key=panel.APPLY_KEY).click().run()
    assert not app.exception and not errors(app)
    expected = estimate_market_inputs(parse_price_history(data))
    assert expected.gaps and app.session_state["workspace"].market.vols["BTC"] == pytest.approx(
        expected.vols["BTC"], rel=1e-12)
    assert app.session_state[panel.SOURCE_KEY]["data"] == data  # the upload itself is never altered
