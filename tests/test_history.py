"""Price history: parsing, plain and EWMA estimators, recovery of known inputs, applying to a Market."""

from __future__ import annotations

import importlib.util
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from margin.errors import PortfolioError
from margin.history import (
    MAX_ASSETS,
    MAX_BRIDGED_DAYS,
    MAX_ROWS,
    EstimateResult,
    Gap,
    _valid_correlation,
    annualised_vols,
    apply_estimates,
    correlation_matrix,
    estimate_market_inputs,
    ewma_variance_update,
    ewma_weights,
    find_gaps,
    gap_warning,
    log_returns,
    parse_price_history,
)
from margin.market import Market

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CSV = ROOT / "sample_data" / "example_prices.csv"


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "make_example_prices", ROOT / "scripts" / "make_example_prices.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()

# A tiny hand-checkable history: A moves +10 %, -10 %, +10 %; B 50 -> 52 -> 51 -> 55.
TINY = pd.DataFrame(
    {"A": [100.0, 110.0, 99.0, 108.9], "B": [50.0, 52.0, 51.0, 55.0]},
    index=pd.date_range("2025-01-01", periods=4, freq="D", name="date"),
)
A_RETURNS = [math.log(110 / 100), math.log(99 / 110), math.log(108.9 / 99)]
B_RETURNS = [math.log(52 / 50), math.log(51 / 52), math.log(55 / 51)]

WIDE = """date,BTC,ETH,SOL
2025-01-01,100,10,1
2025-01-02,101,10.5,1.1
2025-01-03,99,10.2,1.05
2025-01-04,102,10.8,1.2
"""
LONG = """Date,Symbol,Close
2025-01-03,SOL,1.05
2025-01-01,BTC,100
2025-01-01,ETH,10
2025-01-01,SOL,1
2025-01-02,BTC,101
2025-01-02,ETH,10.5
2025-01-02,SOL,1.1
2025-01-03,BTC,99
2025-01-03,ETH,10.2
2025-01-04,BTC,102
2025-01-04,ETH,10.8
2025-01-04,SOL,1.2
"""


def _mean(values):
    return sum(values) / len(values)


def _sample_var(values):
    m = _mean(values)
    return sum((v - m) ** 2 for v in values) / (len(values) - 1)


def _pearson(x, y):
    mx, my = _mean(x), _mean(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)


# --------------------------------------------------------------------------------------------
# Hand-computed estimators
# --------------------------------------------------------------------------------------------
def test_log_returns_by_hand():
    returns = log_returns(TINY)
    assert list(returns.columns) == ["A", "B"]
    assert len(returns) == 3
    assert returns.index[0] == pd.Timestamp("2025-01-02")
    np.testing.assert_allclose(returns["A"], A_RETURNS, rtol=0, atol=1e-15)
    np.testing.assert_allclose(returns["B"], B_RETURNS, rtol=0, atol=1e-15)


def test_plain_vol_and_correlation_by_hand():
    # A: returns ln 1.1, ln 0.9, ln 1.1 -> mean (2 ln 1.1 + ln 0.9)/3, sample variance with n-1 = 2.
    up, down = math.log(1.1), math.log(0.9)
    mean = (2 * up + down) / 3
    variance = (2 * (up - mean) ** 2 + (down - mean) ** 2) / 2
    vols = annualised_vols(TINY)
    assert vols["A"] == pytest.approx(math.sqrt(variance * 365), rel=1e-12)
    assert vols["B"] == pytest.approx(math.sqrt(_sample_var(B_RETURNS) * 365), rel=1e-12)
    assert annualised_vols(TINY, days_per_year=252)["A"] == pytest.approx(
        math.sqrt(variance * 252), rel=1e-12
    )
    corr = correlation_matrix(TINY)
    assert corr.loc["A", "B"] == pytest.approx(_pearson(A_RETURNS, B_RETURNS), rel=1e-12)
    assert corr.loc["B", "A"] == corr.loc["A", "B"]
    assert corr.loc["A", "A"] == 1.0
    assert corr.attrs["repaired"] is False


def test_plain_window_uses_the_last_returns():
    # window=2: returns 2 and 3 only. A: ln 0.9, ln 1.1; mean = (ln .9 + ln 1.1)/2, var = (d^2 + d^2)/1.
    d = (math.log(1.1) - math.log(0.9)) / 2
    vols = annualised_vols(TINY, window=2)
    assert vols["A"] == pytest.approx(math.sqrt(2 * d * d * 365), rel=1e-12)
    # Two points are always perfectly correlated (+1 or -1): A went down then up, B too.
    assert correlation_matrix(TINY, window=2).loc["A", "B"] == pytest.approx(1.0)


def test_hull_example_ewma_update():
    # Hull, RMFI Example 5.2 (EWMA): lam = 0.90, yesterday's vol 1 %/day, yesterday's return 2 %.
    var = ewma_variance_update(0.01**2, 0.02, 0.90)
    assert var == pytest.approx(0.9 * 0.0001 + 0.1 * 0.0004, rel=1e-15)
    assert var == pytest.approx(0.00013, rel=1e-12)
    assert math.sqrt(var) == pytest.approx(0.0114, abs=5e-5)  # 1.14 % a day


def test_hull_example_through_the_full_ewma():
    # First log return 1 % seeds the variance at 0.0001 (1 %/day); the second, 2 %, updates it.
    prices = pd.DataFrame({"X": [100.0, 100.0 * math.exp(0.01), 100.0 * math.exp(0.03)]})
    daily = annualised_vols(prices, method="ewma", lam=0.90, days_per_year=1)
    assert daily["X"] == pytest.approx(math.sqrt(0.00013), rel=1e-9)
    annual = annualised_vols(prices, method="ewma", lam=0.90)
    assert annual["X"] == pytest.approx(math.sqrt(0.00013 * 365), rel=1e-9)


def test_ewma_two_assets_by_hand():
    lam = 0.9
    a, b = A_RETURNS, B_RETURNS
    var_a, var_b, cov = a[0] ** 2, b[0] ** 2, a[0] * b[0]
    for k in (1, 2):
        var_a = lam * var_a + (1 - lam) * a[k] ** 2
        var_b = lam * var_b + (1 - lam) * b[k] ** 2
        cov = lam * cov + (1 - lam) * a[k] * b[k]
    vols = annualised_vols(TINY, method="ewma", lam=lam)
    assert vols["A"] == pytest.approx(math.sqrt(var_a * 365), rel=1e-12)
    assert vols["B"] == pytest.approx(math.sqrt(var_b * 365), rel=1e-12)
    corr = correlation_matrix(TINY, method="ewma", lam=lam)
    assert corr.loc["A", "B"] == pytest.approx(cov / math.sqrt(var_a * var_b), rel=1e-12)


def test_ewma_weights_by_hand():
    lam = 0.8
    np.testing.assert_allclose(ewma_weights(3, lam), [lam**2, (1 - lam) * lam, 1 - lam], rtol=1e-15)
    assert ewma_weights(3, lam).sum() == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(2, 40), elements=st.floats(-0.3, 0.3)).filter(
        lambda r: np.any(np.abs(r) > 1e-6)
    ),
    st.floats(0.5, 0.99),
)
def test_ewma_equals_the_recursion(returns, lam):
    var = returns[0] ** 2
    for r in returns[1:]:
        var = ewma_variance_update(var, r, lam)
    if var <= 1e-24:
        return  # a flat series is rejected; covered elsewhere
    prices = pd.DataFrame({"X": 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))})
    vol = annualised_vols(prices, method="ewma", lam=lam, days_per_year=1)["X"]
    assert vol == pytest.approx(math.sqrt(var), rel=1e-6)
    assert ewma_weights(len(returns), lam).sum() == pytest.approx(1.0)


def test_estimate_market_inputs_fields():
    result = estimate_market_inputs(TINY, window=3, method="ewma", lam=0.9)
    assert isinstance(result, EstimateResult)
    assert result.n_returns == 3 and result.window == 3 and result.method == "ewma" and result.lam == 0.9
    assert result.repaired is False
    assert result.start == pd.Timestamp("2025-01-02") and result.end == pd.Timestamp("2025-01-04")
    assert result.vols["A"] == pytest.approx(annualised_vols(TINY, method="ewma", lam=0.9)["A"])
    pd.testing.assert_frame_equal(result.correlation, correlation_matrix(TINY, method="ewma", lam=0.9))
    with pytest.raises(AttributeError):
        result.n_returns = 5  # frozen
    plain = estimate_market_inputs(TINY)
    assert plain.lam is None and plain.window is None and plain.n_returns == 3


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"window": 4}, "up to 3"),
        ({"window": 1}, "at least 2"),
        ({"window": True}, "whole number"),
        ({"window": 2.5}, "whole number"),
        ({"method": "garch"}, "'plain' or 'ewma'"),
        ({"method": "ewma", "lam": 1.0}, "between 0 and 1"),
        ({"method": "ewma", "lam": 0}, "between 0 and 1"),
        ({"days_per_year": 0}, "days_per_year"),
    ],
)
def test_estimator_arguments_are_checked(kwargs, fragment):
    with pytest.raises(PortfolioError, match=fragment):
        estimate_market_inputs(TINY, **kwargs)


def test_flat_asset_is_named():
    flat = TINY.assign(USDC=1.0)
    with pytest.raises(PortfolioError, match="USDC never moves"):
        estimate_market_inputs(flat)
    with pytest.raises(PortfolioError, match="USDC"):
        correlation_matrix(flat, method="ewma")


def test_bad_price_frames_are_rejected():
    with pytest.raises(PortfolioError, match="B"):
        annualised_vols(TINY.assign(B=[50.0, np.nan, 51.0, 55.0]))
    with pytest.raises(PortfolioError, match="above 0"):
        annualised_vols(TINY.assign(A=[100.0, -1.0, 99.0, 108.9]))
    with pytest.raises(PortfolioError, match="at least 3"):
        annualised_vols(TINY.iloc[:2])
    with pytest.raises(PortfolioError, match="DataFrame"):
        annualised_vols([[1, 2], [3, 4]])


def test_inconsistent_correlation_is_repaired_and_reported():
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    assert np.linalg.eigvalsh(bad)[0] < 0
    frame, repaired = _valid_correlation(bad, ["A", "B", "C"])
    assert repaired is True and frame.attrs["repaired"] is True
    values = frame.to_numpy()
    assert np.linalg.eigvalsh(values)[0] > -1e-9
    np.testing.assert_allclose(np.diag(values), 1.0)
    np.testing.assert_allclose(values, values.T)
    Market({"A": 1.0, "B": 1.0, "C": 1.0}, {"A": 0.5, "B": 0.5, "C": 0.5}, frame)  # accepted


# --------------------------------------------------------------------------------------------
# Recovery of known inputs from the example file
# --------------------------------------------------------------------------------------------
def test_example_csv_matches_the_generator():
    prices = parse_price_history(EXAMPLE_CSV)
    assert list(prices.columns) == list(GEN.ASSETS)
    assert len(prices) == GEN.N_DAYS == 365
    assert prices.index[0] == pd.Timestamp(GEN.START_DATE) and prices.index[-1] == pd.Timestamp("2025-12-31")
    for asset, start in GEN.START_PRICES.items():
        assert prices[asset].iloc[0] == pytest.approx(start, abs=1e-9)
    # Written with 6 decimals: equal to the generator within half a unit of the last place.
    np.testing.assert_allclose(prices.to_numpy(), GEN.build_prices().to_numpy(), rtol=0, atol=5.1e-7)


def test_plain_estimator_recovers_the_stated_inputs():
    prices = parse_price_history(EXAMPLE_CSV)
    result = estimate_market_inputs(prices)
    n = result.n_returns
    assert n == 364
    for asset, sigma in GEN.ANNUAL_VOLS.items():
        standard_error = sigma / math.sqrt(2 * n)
        assert abs(result.vols[asset] - sigma) < 3 * standard_error, asset
    for (first, second), rho in GEN.CORRELATIONS.items():
        standard_error = (1 - rho**2) / math.sqrt(n)
        assert abs(result.correlation.loc[first, second] - rho) < 3 * standard_error, (first, second)


def test_ewma_estimator_recovers_the_stated_inputs_within_its_effective_sample():
    prices = parse_price_history(EXAMPLE_CSV)
    lam = 0.94
    result = estimate_market_inputs(prices, method="ewma", lam=lam)
    m = result.n_returns
    # Sum of squared weights, seed weight lam^(m-1) plus (1-lam) lam^(m-k): effective sample 1 / sum.
    sum_sq = lam ** (2 * (m - 1)) + (1 - lam) ** 2 * (1 - lam ** (2 * (m - 1))) / (1 - lam**2)
    n_eff = 1 / sum_sq
    assert 30 < n_eff < 35
    for asset, sigma in GEN.ANNUAL_VOLS.items():
        assert abs(result.vols[asset] - sigma) < 3 * sigma / math.sqrt(2 * n_eff), asset
    for (first, second), rho in GEN.CORRELATIONS.items():
        assert abs(result.correlation.loc[first, second] - rho) < 3 * (1 - rho**2) / math.sqrt(n_eff)


def test_example_estimates_apply_to_the_default_market():
    from margin.defaults import default_market

    market = default_market()
    result = estimate_market_inputs(parse_price_history(EXAMPLE_CSV), window=90)
    updated = apply_estimates(market, result)
    for asset in GEN.ASSETS:
        assert updated.vols[asset] == result.vols[asset]
    assert updated.vols["XRP"] == market.vols["XRP"]
    assert updated.correlation.loc["BTC", "XRP"] == market.correlation.loc["BTC", "XRP"]


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------
def _expected_wide() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "BTC": [100.0, 101.0, 99.0, 102.0],
            "ETH": [10.0, 10.5, 10.2, 10.8],
            "SOL": [1.0, 1.1, 1.05, 1.2],
        },
        index=pd.DatetimeIndex(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"], name="date").as_unit(
            "ns"
        ),
    )


def test_wide_parse():
    frame = parse_price_history(WIDE)
    pd.testing.assert_frame_equal(frame, _expected_wide())
    assert frame.index.is_monotonic_increasing and frame.index.is_unique


def test_long_format_equals_wide():
    pd.testing.assert_frame_equal(parse_price_history(LONG), parse_price_history(WIDE))


def test_unsorted_rows_are_sorted():
    lines = WIDE.strip().split("\n")
    shuffled = "\n".join([lines[0], lines[3], lines[1], lines[4], lines[2]])
    pd.testing.assert_frame_equal(parse_price_history(shuffled), _expected_wide())


def test_sources(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(WIDE)
    expected = _expected_wide()
    for source in (
        str(path),
        path,
        WIDE,
        WIDE.encode(),
        b"\xef\xbb\xbf" + WIDE.encode(),  # UTF-8 with BOM (Excel)
        WIDE.replace("\n", "\r\n").encode(),
        io.BytesIO(WIDE.encode()),
        io.StringIO(WIDE),
    ):
        pd.testing.assert_frame_equal(parse_price_history(source), expected)
    with path.open() as handle:
        pd.testing.assert_frame_equal(parse_price_history(handle), expected)
    with path.open("rb") as handle:
        pd.testing.assert_frame_equal(parse_price_history(handle), expected)


def test_blank_lines_trailing_commas_and_times_are_fine():
    text = "Date,BTC,ETH,\n\n2025-01-01T00:00:00Z,100,10,\n2025-01-02 12:00,101,10.5,\n2025-01-03T00:00:00+02:00,99,10.2\n\n"
    frame = parse_price_history(text)
    assert list(frame.index.strftime("%Y-%m-%d")) == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert list(frame.columns) == ["BTC", "ETH"]


def test_example_csv_wide_and_long(tmp_path):
    wide = parse_price_history(EXAMPLE_CSV)
    long = wide.reset_index().melt(id_vars="date", var_name="asset", value_name="close")
    long["date"] = long["date"].dt.strftime("%Y-%m-%d")
    text = long.sample(frac=1.0, random_state=1).to_csv(index=False)
    pd.testing.assert_frame_equal(parse_price_history(text), wide)


def _wide_with(line: int, cells: str) -> str:
    """WIDE with data line ``line`` (1-based file line, 2..5) replaced."""
    lines = WIDE.strip().split("\n")
    lines[line - 1] = cells
    return "\n".join(lines) + "\n"


BAD_FILES = {
    "no date column": ("when,BTC,ETH\nx,1,2\ny,1,2\nz,1,2\n", ["no date column", "'date'"]),
    "header is data": ("2025-01-01,1,2\n2025-01-02,1,2\n2025-01-03,1,2\n", ["line 1", "header"]),
    "two date columns": ("date,day,BTC\n", ["column 1 (date)", "column 2 (day)"]),
    "unparseable date": (_wide_with(3, "2025-13-02,101,10.5,1.1"), ["line 3", "'2025-13-02'", "YYYY-MM-DD"]),
    "text date": (_wide_with(4, "yesterday,99,10.2,1.05"), ["line 4", "'yesterday'", "YYYY-MM-DD"]),
    "empty date": (_wide_with(5, ",102,10.8,1.2"), ["line 5", "empty"]),
    "duplicated date": (_wide_with(4, "2025-01-01,99,10.2,1.05"), ["lines 2 and 4", "2025-01-01"]),
    "two closes one day": (_wide_with(3, "2025-01-01T18:00,101,10.5,1.1"), ["lines 2 and 3", "one close"]),
    "non-numeric": (_wide_with(3, "2025-01-02,101,abc,1.1"), ["line 3", "ETH", "'abc'", "not a number"]),
    "thousands separator": (_wide_with(3, '2025-01-02,"1,010",10.5,1.1'), ["line 3", "BTC", "'1,010'"]),
    "zero price": (_wide_with(4, "2025-01-03,99,0,1.05"), ["line 4", "ETH", "above 0"]),
    "negative price": (_wide_with(5, "2025-01-04,-102,10.8,1.2"), ["line 5", "BTC", "above 0"]),
    "infinite price": (_wide_with(5, "2025-01-04,inf,10.8,1.2"), ["line 5", "BTC", "finite"]),
    "empty cell": (
        _wide_with(4, "2025-01-03,99,10.2,"),
        ["line 4", "SOL", "2025-01-03", "no close", "never filled"],
    ),
    "NaN cell": (_wide_with(3, "2025-01-02,NaN,10.5,1.1"), ["line 3", "BTC", "2025-01-02", "no close"]),
    "short row": (_wide_with(3, "2025-01-02,101,10.5"), ["line 3", "3 cells", "4 columns"]),
    "value in unnamed column": (
        _wide_with(3, "2025-01-02,101,10.5,1.1,7"),
        ["line 3", "column 5", "no name"],
    ),
    "too few rows": ("date,BTC\n2025-01-01,1\n2025-01-02,2\n", ["2 dates", "at least 3"]),
    "no asset columns": ("date\n2025-01-01\n2025-01-02\n2025-01-03\n", ["no asset columns"]),
    "duplicate column": ("date,BTC,BTC\n", ["column 2 (BTC)", "column 3 (BTC)", "same name"]),
    "unnamed column": ("date,,ETH\n", ["column 2", "no name"]),
    "semicolons": ("date;BTC;ETH\n2025-01-01;1;2\n", ["semicolons", "commas"]),
    "close without asset": ("date,close\n", ["column 2 (close)", "ticker"]),
    "empty file": ("\n\n", ["empty"]),
    "unclosed quote": ('date,BTC\n2025-01-01,"1\n', ["line"]),
    "long duplicate": (
        LONG.replace("2025-01-04,BTC,102", "2025-01-02,BTC,102"),
        ["lines 6 and 11", "BTC", "2025-01-02"],
    ),
    "long missing row": (LONG.replace("2025-01-03,ETH,10.2\n", ""), ["ETH", "2025-01-03", "no close"]),
    "long non-numeric": (
        LONG.replace("2025-01-02,ETH,10.5", "2025-01-02,ETH,ten"),
        ["line 7", "ETH", "'ten'"],
    ),
    "long empty close": (
        LONG.replace("2025-01-02,ETH,10.5", "2025-01-02,ETH,"),
        ["line 7", "ETH", "2025-01-02"],
    ),
    "long empty asset": (
        LONG.replace("2025-01-02,ETH,10.5", "2025-01-02,,10.5"),
        ["line 7", "asset", "empty"],
    ),
    "long extra column": ("date,asset,close,volume\n", ["exactly three columns", "volume"]),
    "long bad date": (LONG.replace("2025-01-02,ETH", "02/01/2025,ETH"), ["line 7", "'02/01/2025'"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_name_the_problem(case):
    text, fragments = BAD_FILES[case]
    with pytest.raises(PortfolioError) as raised:
        parse_price_history(text)
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, (case, message)


def test_blank_lines_keep_file_line_numbers():
    text = "date,BTC\n\n2025-01-01,1\n\n\n2025-01-02,x\n2025-01-03,2\n"
    with pytest.raises(PortfolioError, match="line 6"):
        parse_price_history(text)


def test_errors_report_the_earliest_line_and_count_the_rest():
    text = "date,BTC\n2025-01-01,1\n2025-01-02,\n2025-01-03,\n2025-01-04,\n"
    with pytest.raises(PortfolioError, match=r"line 3.*2 more problem cells"):
        parse_price_history(text)


def test_too_many_assets():
    assets = [f"C{i}" for i in range(MAX_ASSETS + 1)]
    text = "date," + ",".join(assets) + "\n"
    with pytest.raises(PortfolioError, match=f"limit is {MAX_ASSETS}"):
        parse_price_history(text)
    ok = "date," + ",".join(assets[:MAX_ASSETS]) + "\n"
    ok += "".join(f"2025-01-0{d}," + ",".join(["1"] * MAX_ASSETS) + "\n" for d in (1, 2, 3))
    assert parse_price_history(ok).shape == (3, MAX_ASSETS)


def test_too_many_rows():
    dates = pd.date_range("1900-01-01", periods=MAX_ROWS + 1, freq="D").strftime("%Y-%m-%d")
    text = "date,BTC\n" + "".join(f"{d},1\n" for d in dates)
    with pytest.raises(PortfolioError, match="20,000"):
        parse_price_history(text)
    assert len(parse_price_history("date,BTC\n" + "".join(f"{d},1\n" for d in dates[:MAX_ROWS]))) == MAX_ROWS


def test_unreadable_sources():
    with pytest.raises(PortfolioError, match="UTF-8"):
        parse_price_history(b"date,BTC\n2025-01-01,\xff\xfe\n")
    with pytest.raises(PortfolioError, match="no file"):
        parse_price_history("no_such_prices.csv")
    with pytest.raises(PortfolioError, match="expected a file path"):
        parse_price_history(42)


# --------------------------------------------------------------------------------------------
# Missing, repeated and unordered dates
# --------------------------------------------------------------------------------------------
def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(date_format="%Y-%m-%d", index_label="date")


def _closes(dates: list[str], **columns: list[float]) -> pd.DataFrame:
    return pd.DataFrame(columns, index=pd.DatetimeIndex(dates, name="date"))


# 3 Jan is missing: the return 2 Jan -> 4 Jan spans 2 days.
GAPPY = _closes(
    ["2025-01-01", "2025-01-02", "2025-01-04", "2025-01-05", "2025-01-06"],
    A=[100.0, 110.0, 99.0, 108.9, 104.0],
    B=[50.0, 52.0, 51.0, 55.0, 54.0],
)
GAPPY_A = [math.log(110 / 100), math.log(99 / 110), math.log(108.9 / 99), math.log(104 / 108.9)]
GAPPY_B = [math.log(52 / 50), math.log(51 / 52), math.log(55 / 51), math.log(54 / 55)]
GAPPY_SPANS = [1, 2, 1, 1]


def _scaled(returns, spans):
    return [r / math.sqrt(k) for r, k in zip(returns, spans, strict=True)]


def _example_without(first: str, last: str) -> pd.DataFrame:
    prices = parse_price_history(EXAMPLE_CSV)
    return prices.drop(prices.loc[first:last].index)


def test_sixty_deleted_rows_are_refused_not_a_silent_vol_jump():
    # Issue 16: deleting the 60 rows 30 Jan .. 30 Mar of the example used to move BTC from 54.7 %
    # to 73.7 % a year without a word (the 61-day return counted as one day's).
    full = parse_price_history(EXAMPLE_CSV)
    gapped = parse_price_history(_csv(_example_without("2025-01-30", "2025-03-30")))
    assert len(gapped) == len(full) - 60  # read as it is: nothing filled in, nothing dropped
    pd.testing.assert_frame_equal(gapped, full.drop(full.loc["2025-01-30":"2025-03-30"].index))
    assert find_gaps(gapped) == (Gap(pd.Timestamp("2025-01-30"), 60),)
    for method in ("plain", "ewma"):
        with pytest.raises(PortfolioError) as raised:
            estimate_market_inputs(gapped, method=method)
        message = str(raised.value)
        for fragment in (
            "no closes from 2025-01-30 to 2025-03-30 (60 days in a row)",
            "2025-01-29 to 2025-03-31 spans 61 days",
            "Fill in the missing closes",
            "closes from 2025-03-31 on",
            "at most 275 returns",
        ):
            assert fragment in message, (method, message)
    with pytest.raises(PortfolioError, match="2025-01-30 to 2025-03-30"):
        annualised_vols(gapped)
    with pytest.raises(PortfolioError, match="2025-01-30 to 2025-03-30"):
        correlation_matrix(gapped, method="ewma")
    # The way out the message offers works: the 275 returns after the gap, as in the full file.
    after = estimate_market_inputs(gapped, window=275)
    assert after.gaps == () and after.start == pd.Timestamp("2025-04-01")
    assert after.vols["BTC"] == pytest.approx(annualised_vols(full, window=275)["BTC"], rel=1e-12)
    assert abs(after.vols["BTC"] - estimate_market_inputs(full).vols["BTC"]) < 0.01  # 55.5 % vs 54.7 %
    with pytest.raises(PortfolioError, match="2025-01-30"):
        estimate_market_inputs(gapped, window=276)  # its first return crosses the gap


def test_a_single_missing_day_is_bridged_by_hand():
    scaled_a, scaled_b = _scaled(GAPPY_A, GAPPY_SPANS), _scaled(GAPPY_B, GAPPY_SPANS)
    result = estimate_market_inputs(GAPPY)
    assert result.gaps == (Gap(pd.Timestamp("2025-01-03"), 1),) and result.missing_days == 1
    assert result.n_returns == 4
    assert result.vols["A"] == pytest.approx(math.sqrt(_sample_var(scaled_a) * 365), rel=1e-12)
    assert result.vols["B"] == pytest.approx(math.sqrt(_sample_var(scaled_b) * 365), rel=1e-12)
    assert result.correlation.loc["A", "B"] == pytest.approx(_pearson(scaled_a, scaled_b), rel=1e-12)
    unscaled = math.sqrt(_sample_var(GAPPY_A) * 365)
    assert abs(result.vols["A"] - unscaled) > 0.05  # the old reading (a 2-day move as one day's) differs
    # EWMA: the 2-day return takes two daily steps at once (lam**2 and 1 - lam**2).
    lam = 0.9
    var = {}
    for name, returns in (("A", GAPPY_A), ("B", GAPPY_B)):
        v = returns[0] ** 2
        for r, k in zip(returns[1:], GAPPY_SPANS[1:], strict=True):
            v = lam**k * v + (1 - lam**k) * r * r / k
        var[name] = v
    ewma = estimate_market_inputs(GAPPY, method="ewma", lam=lam)
    assert ewma.vols["A"] == pytest.approx(math.sqrt(var["A"] * 365), rel=1e-12)
    assert ewma.vols["B"] == pytest.approx(math.sqrt(var["B"] * 365), rel=1e-12)
    # The same history read from a CSV gives the same estimate; the prices are the file's.
    parsed = parse_price_history(_csv(GAPPY))
    np.testing.assert_array_equal(parsed.to_numpy(), GAPPY.to_numpy())
    assert estimate_market_inputs(parsed).vols == result.vols
    np.testing.assert_allclose(log_returns(GAPPY)["A"], GAPPY_A, rtol=0, atol=1e-15)  # raw, unscaled
    warning = gap_warning(result.gaps)
    for fragment in ("1 day is missing", "(2025-01-03)", "2025-01-02 to 2025-01-04 spans 2 days", "√2",
                     "1 return fewer", "unchanged"):
        assert fragment in warning, warning
    assert gap_warning(()) == "" and estimate_market_inputs(TINY).gaps == ()


def test_bridging_agrees_with_the_complete_history_on_a_long_random_walk():
    rng = np.random.default_rng(16)
    days = 4000
    daily = np.array([0.55, 0.80]) / math.sqrt(365)
    chol = np.linalg.cholesky(np.array([[1.0, 0.7], [0.7, 1.0]]))
    returns = rng.standard_normal((days, 2)) @ chol.T * daily
    closes = 100.0 * np.exp(np.vstack([np.zeros(2), np.cumsum(returns, axis=0)]))
    index = pd.date_range("2014-01-01", periods=days + 1, freq="D", name="date")
    full = pd.DataFrame(closes, columns=["BTC", "ETH"], index=index)
    reference = estimate_market_inputs(full)
    # One row deleted: two daily returns become one bridged 2-day return.
    one = estimate_market_inputs(full.drop(full.index[2000]))
    assert len(one.gaps) == 1 and one.n_returns == days - 1
    for asset in ("BTC", "ETH"):
        assert one.vols[asset] == pytest.approx(reference.vols[asset], rel=1e-3)
    # Every fifth day deleted (799 gaps): read as one-day moves the vol would be sqrt(5/4), 12 % too high.
    sparse = full.drop(full.index[5:-1:5])
    bridged = estimate_market_inputs(sparse)
    assert len(bridged.gaps) == 799 and bridged.missing_days == 799
    assert "and 796 more gaps" in gap_warning(bridged.gaps)
    unscaled = estimate_market_inputs(sparse, calendar="trading")  # each row one period: no scaling
    for asset in ("BTC", "ETH"):
        assert bridged.vols[asset] == pytest.approx(reference.vols[asset], rel=0.02)
        assert unscaled.vols[asset] > 1.08 * reference.vols[asset]
    assert bridged.correlation.loc["BTC", "ETH"] == pytest.approx(reference.correlation.loc["BTC", "ETH"], abs=0.02)
    # EWMA decays in calendar days: with a long memory it agrees with the complete history too.
    lam = 0.999
    ewma_full = estimate_market_inputs(full, method="ewma", lam=lam)
    ewma_bridged = estimate_market_inputs(sparse, method="ewma", lam=lam)
    ewma_unscaled = estimate_market_inputs(sparse, method="ewma", lam=lam, calendar="trading")
    for asset in ("BTC", "ETH"):
        assert ewma_bridged.vols[asset] == pytest.approx(ewma_full.vols[asset], rel=0.03)
        assert ewma_unscaled.vols[asset] > 1.08 * ewma_full.vols[asset]


def test_repeated_dates_are_refused():
    # In a file: the lines are named (see BAD_FILES for long format too).
    with pytest.raises(PortfolioError, match=r"lines 3 and 4: both are 2025-01-02"):
        parse_price_history(_wide_with(4, "2025-01-02,99,10.2,1.05"))
    # In a DataFrame: the date is named, nothing is estimated from it.
    repeated = TINY.set_axis(pd.DatetimeIndex(["2025-01-01", "2025-01-02", "2025-01-02", "2025-01-04"]))
    for call in (annualised_vols, correlation_matrix, estimate_market_inputs, log_returns, find_gaps):
        with pytest.raises(PortfolioError, match=r"two closes on 2025-01-02 \(rows 2 and 3\)"):
            call(repeated)
    same_day = TINY.set_axis(pd.DatetimeIndex(["2025-01-01", "2025-01-02", "2025-01-02 18:00", "2025-01-03"]))
    with pytest.raises(PortfolioError, match="two closes on 2025-01-02"):
        estimate_market_inputs(same_day)


def test_unsorted_dates_are_sorted_in_a_file_and_refused_in_a_frame():
    lines = _csv(GAPPY).strip().split("\n")
    shuffled = "\n".join([lines[0], lines[4], lines[2], lines[5], lines[1], lines[3]]) + "\n"
    parsed = parse_price_history(shuffled)
    pd.testing.assert_frame_equal(parsed, parse_price_history(_csv(GAPPY)))
    assert estimate_market_inputs(parsed).vols == estimate_market_inputs(GAPPY).vols
    assert find_gaps(parsed) == (Gap(pd.Timestamp("2025-01-03"), 1),)
    unsorted = GAPPY.iloc[[0, 2, 1, 3, 4]]
    for call in (annualised_vols, estimate_market_inputs, log_returns, find_gaps):
        with pytest.raises(PortfolioError, match=r"not in order \(2025-01-04 in row 2 is followed by 2025-01-02\)"):
            call(unsorted)
    with pytest.raises(PortfolioError, match="not in order"):
        estimate_market_inputs(GAPPY.iloc[::-1], calendar="trading")  # order is checked whatever the calendar


def test_gaps_at_the_very_start_and_end():
    # Short gap right after the first close: the bridged return seeds the EWMA.
    start = _closes(["2025-01-01", "2025-01-03", "2025-01-04", "2025-01-05"], X=[100.0, 104.0, 101.0, 103.0])
    returns = [math.log(104 / 100), math.log(101 / 104), math.log(103 / 101)]
    scaled = _scaled(returns, [2, 1, 1])
    result = estimate_market_inputs(start)
    assert result.gaps == (Gap(pd.Timestamp("2025-01-02"), 1),)
    assert result.vols["X"] == pytest.approx(math.sqrt(_sample_var(scaled) * 365), rel=1e-12)
    lam = 0.9
    var = scaled[0] ** 2
    for u in scaled[1:]:
        var = lam * var + (1 - lam) * u * u
    ewma = estimate_market_inputs(start, method="ewma", lam=lam)
    assert ewma.vols["X"] == pytest.approx(math.sqrt(var * 365), rel=1e-12)
    # Short gap right before the last close (6 and 7 Jan missing): the last return spans 3 days.
    end = _closes(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05", "2025-01-08"],
                  X=[100.0, 102.0, 99.0, 101.0, 100.0, 106.0])
    closes = end["X"].to_list()
    returns = [math.log(b / a) for a, b in zip(closes[:-1], closes[1:], strict=True)]
    result = estimate_market_inputs(end)
    assert result.gaps == (Gap(pd.Timestamp("2025-01-06"), 2),)
    assert str(result.gaps[0]) == "2025-01-06 to 2025-01-07 (2 days)"
    expected = math.sqrt(_sample_var(_scaled(returns, [1, 1, 1, 1, 3])) * 365)
    assert result.vols["X"] == pytest.approx(expected, rel=1e-12)
    # Days before the first date or after the last are not gaps: the history starts and ends there.
    assert find_gaps(end.loc["2025-01-02":"2025-01-05"]) == ()
    # A long gap right after the first close: refused, and the window after it is offered.
    days = ["2025-01-01"] + [f"2025-01-{d:02d}" for d in range(10, 21)]
    long_start = _closes(days, X=[100.0 + (i % 3) for i in range(len(days))])
    with pytest.raises(PortfolioError) as raised:
        estimate_market_inputs(long_start)
    message = str(raised.value)
    assert "2025-01-02 to 2025-01-09 (8 days in a row)" in message and "at most 10 returns" in message
    assert estimate_market_inputs(long_start, window=10).gaps == ()
    # A long gap right before the last close: nothing after it to estimate from, so its row is named.
    days = [f"2025-01-{d:02d}" for d in range(1, 21)] + ["2025-01-31"]
    long_end = _closes(days, X=[100.0 + (i % 3) for i in range(len(days))])
    for window in (None, 2):
        with pytest.raises(PortfolioError) as raised:
            estimate_market_inputs(long_end, window=window)
        message = str(raised.value)
        assert "2025-01-21 to 2025-01-30 (10 days in a row)" in message
        assert "delete the 1 row from 2025-01-31 on, so that the history ends on 2025-01-20" in message
        assert "window" not in message
    assert estimate_market_inputs(long_end.iloc[:-1]).gaps == ()


def test_the_bridging_limit_and_several_long_gaps():
    def history(missing: list[str]) -> pd.DataFrame:
        days = pd.date_range("2025-01-01", "2025-03-31", freq="D").drop(pd.DatetimeIndex(missing))
        return pd.DataFrame({"X": 100.0 * np.exp(0.02 * np.sin(np.arange(len(days))))}, index=days)

    limit = pd.date_range("2025-02-01", periods=MAX_BRIDGED_DAYS, freq="D").strftime("%Y-%m-%d").tolist()
    assert estimate_market_inputs(history(limit)).gaps == (Gap(pd.Timestamp("2025-02-01"), MAX_BRIDGED_DAYS),)
    over = [*limit, f"2025-02-{MAX_BRIDGED_DAYS + 1:02d}"]
    with pytest.raises(PortfolioError, match=f"{MAX_BRIDGED_DAYS + 1} days in a row"):
        estimate_market_inputs(history(over))
    two = history([*over, "2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04", "2025-03-05", "2025-03-20"])
    with pytest.raises(PortfolioError) as raised:
        estimate_market_inputs(two)
    message = str(raised.value)
    assert f"more than {MAX_BRIDGED_DAYS} days in a row in 2 places" in message
    assert "2025-03-01 to 2025-03-05 (5 days)" in message and "closes from 2025-03-06 on" in message
    assert "2025-03-20" not in message  # a bridgeable gap is not a reason for refusal
    assert estimate_market_inputs(two, window=20).gaps == (Gap(pd.Timestamp("2025-03-20"), 1),)
    gap = Gap(pd.Timestamp("2025-03-01"), 5)
    assert (gap.last, gap.before, gap.after, gap.span) == (
        pd.Timestamp("2025-03-05"), pd.Timestamp("2025-02-28"), pd.Timestamp("2025-03-06"), 6)


def test_the_trading_calendar_counts_rows_and_the_calendar_is_checked():
    weekdays = pd.bdate_range("2025-01-06", periods=40, name="date")
    rng = np.random.default_rng(3)
    prices = pd.DataFrame({"SPY": 500 * np.exp(np.cumsum(rng.standard_normal(40) * 0.01))}, index=weekdays)
    returns = np.diff(np.log(prices["SPY"].to_numpy()))
    trading = estimate_market_inputs(prices, days_per_year=252, calendar="trading")
    assert trading.gaps == () and trading.calendar == "trading"
    assert trading.vols["SPY"] == pytest.approx(math.sqrt(np.var(returns, ddof=1) * 252), rel=1e-12)
    daily = estimate_market_inputs(prices)  # crypto's calendar: the weekends are bridged, and named
    assert len(daily.gaps) == 7 and all(g.days == 2 and g.first.day_of_week == 5 for g in daily.gaps)
    with pytest.raises(PortfolioError, match="calendar: must be 'daily'"):
        estimate_market_inputs(prices, calendar="business")
    # An index without dates is read as consecutive rows, as before.
    assert annualised_vols(prices.reset_index(drop=True), days_per_year=252)["SPY"] == trading.vols["SPY"]
    with pytest.raises(PortfolioError, match="indexed by date"):
        find_gaps(prices.reset_index(drop=True))


def test_ewma_weights_with_spans():
    lam = 0.9
    np.testing.assert_allclose(ewma_weights(4, lam, [1, 1, 1, 1]), ewma_weights(4, lam), rtol=1e-15)
    # Spans 1, 2, 1: the 2-day return steps twice; 3 days follow the seed, 1 the second return.
    np.testing.assert_allclose(ewma_weights(3, lam, [1, 2, 1]), [lam**3, (1 - lam**2) * lam, 1 - lam], rtol=1e-14)
    rng = np.random.default_rng(5)
    for _ in range(20):
        spans = rng.integers(1, MAX_BRIDGED_DAYS + 2, size=int(rng.integers(2, 50)))
        weights = ewma_weights(len(spans), 0.94, spans)
        assert weights.sum() == pytest.approx(1.0, abs=1e-12) and (weights >= 0).all()


# --------------------------------------------------------------------------------------------
# apply_estimates
# --------------------------------------------------------------------------------------------
def _market() -> Market:
    return Market(
        prices={"BTC": 88000.0, "ETH": 2900.0, "XRP": 2.0},
        vols={"BTC": 0.5, "ETH": 0.6, "XRP": 0.9},
        correlation={("BTC", "ETH"): 0.9, ("BTC", "XRP"): 0.6, ("ETH", "XRP"): 0.6},
        basis={"BTC": 0.05},
    )


def _estimate(vols: dict[str, float], rho: dict[tuple[str, str], float]) -> EstimateResult:
    assets = list(vols)
    matrix = pd.DataFrame(np.eye(len(assets)), index=assets, columns=assets)
    for (a, b), value in rho.items():
        matrix.loc[a, b] = matrix.loc[b, a] = value
    return EstimateResult(
        vols=vols, correlation=matrix, n_returns=90, repaired=False, window=90, method="plain"
    )


def test_apply_updates_covered_assets_and_keeps_the_rest():
    market = _market()
    updated = apply_estimates(market, _estimate({"BTC": 0.45, "ETH": 0.65}, {("BTC", "ETH"): 0.8}))
    assert dict(updated.vols) == {"BTC": 0.45, "ETH": 0.65, "XRP": 0.9}
    assert updated.correlation.loc["BTC", "ETH"] == 0.8 and updated.correlation.loc["ETH", "BTC"] == 0.8
    assert updated.correlation.loc["BTC", "XRP"] == 0.6 and updated.correlation.loc["XRP", "ETH"] == 0.6
    assert dict(updated.prices) == dict(market.prices) and dict(updated.basis) == {"BTC": 0.05}
    assert market.vols["BTC"] == 0.5 and market.correlation.loc["BTC", "ETH"] == 0.9  # untouched


def test_apply_unknown_asset_raises_unless_ignored():
    market = _market()
    estimate = _estimate({"BTC": 0.45, "DOGE": 1.1}, {("BTC", "DOGE"): 0.7})
    with pytest.raises(PortfolioError, match="DOGE"):
        apply_estimates(market, estimate)
    updated = apply_estimates(market, estimate, ignore_unknown=True)
    assert updated.vols["BTC"] == 0.45 and "DOGE" not in updated.prices
    with pytest.raises(PortfolioError, match="none of its assets"):
        apply_estimates(market, _estimate({"DOGE": 1.1, "ADA": 1.0}, {}), ignore_unknown=True)


def test_apply_never_partially_applies():
    market = _market()
    before = (dict(market.vols), market.correlation.copy())
    # BTC-ETH -0.5 estimated while XRP keeps 0.95 with both: the combined matrix is not PSD.
    tight = Market(
        prices=dict(market.prices),
        vols=dict(market.vols),
        correlation={("BTC", "ETH"): 0.9, ("BTC", "XRP"): 0.95, ("ETH", "XRP"): 0.95},
    )
    inconsistent = _estimate({"BTC": 0.45, "ETH": 0.65}, {("BTC", "ETH"): -0.5})
    with pytest.raises(PortfolioError, match="inconsistent") as raised:
        apply_estimates(tight, inconsistent)
    assert "XRP" in str(raised.value)
    assert tight.vols["BTC"] == 0.5 and tight.correlation.loc["BTC", "ETH"] == 0.9
    repaired = apply_estimates(tight, inconsistent, repair=True)
    assert np.linalg.eigvalsh(repaired.correlation.to_numpy())[0] > -1e-9
    assert repaired.vols["BTC"] == 0.45
    # A vol the Market refuses (above 20 = 2000 %/yr) fails as a whole: no half-updated Market.
    with pytest.raises(PortfolioError, match="BTC"):
        apply_estimates(market, _estimate({"BTC": 25.0, "ETH": 0.65}, {("BTC", "ETH"): 0.8}))
    assert dict(market.vols) == before[0]
    pd.testing.assert_frame_equal(market.correlation, before[1])


def test_apply_type_checks():
    with pytest.raises(PortfolioError, match="Market"):
        apply_estimates({"BTC": 1}, _estimate({"BTC": 0.5}, {}))
    with pytest.raises(PortfolioError, match="EstimateResult"):
        apply_estimates(_market(), {"BTC": 0.5})


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------
@st.composite
def price_frames(draw):
    rows = draw(st.integers(3, 30))
    assets = draw(st.integers(1, 5))
    returns = draw(arrays(np.float64, (rows - 1, assets), elements=st.floats(-0.4, 0.4)))
    starts = draw(arrays(np.float64, assets, elements=st.floats(0.01, 1e5)))
    closes = starts * np.exp(np.vstack([np.zeros(assets), np.cumsum(returns, axis=0)]))
    index = pd.DatetimeIndex(pd.date_range("2024-02-27", periods=rows, freq="D"), freq=None, name="date")
    return pd.DataFrame(closes, index=index, columns=[f"C{i}" for i in range(assets)])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(price_frames(), st.sampled_from(["plain", "ewma"]), st.floats(0.5, 0.99))
def test_any_price_matrix_gives_a_valid_correlation(prices, method, lam):
    try:
        result = estimate_market_inputs(prices, method=method, lam=lam)
    except PortfolioError as error:
        assert "never move" in str(error)  # the only refusal: an asset whose price does not move
        return
    values = result.correlation.to_numpy()
    np.testing.assert_array_equal(np.diag(values), 1.0)
    np.testing.assert_array_equal(values, values.T)
    assert np.all(np.abs(values) <= 1.0)
    assert np.linalg.eigvalsh(values)[0] > -1e-9
    assert all(v > 0 and math.isfinite(v) for v in result.vols.values())
    last = prices.iloc[-1].to_dict()
    if max(result.vols.values()) <= 20:
        market = Market(last, {a: 0.5 for a in last}, None)
        assert apply_estimates(market, result).vols == result.vols


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(price_frames(), st.randoms(use_true_random=False))
def test_csv_round_trip_wide_and_long(prices, rng):
    wide_text = prices.to_csv(date_format="%Y-%m-%d")
    pd.testing.assert_frame_equal(parse_price_history(wide_text), prices.set_axis(prices.index.as_unit("ns")))
    long = prices.reset_index().melt(id_vars="date", var_name="ticker", value_name="price")
    order = list(range(len(long)))
    rng.shuffle(order)
    long_text = long.iloc[order].to_csv(index=False, date_format="%Y-%m-%d")
    pd.testing.assert_frame_equal(parse_price_history(long_text), prices.set_axis(prices.index.as_unit("ns")))
