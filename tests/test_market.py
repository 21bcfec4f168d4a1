"""Market: validation, shocks, nearest correlation, immutability, the default 15-coin snapshot.

Published numbers:
- Higham, "Computing the nearest correlation matrix - a problem from finance", IMA J. Numer.
  Anal. 22(3):329-343 (2002): the 3x3 example A = [[1,1,0],[1,1,1],[0,1,1]]; expected values as
  used by mikecroucher/nearest_correlation's unit tests (port of Higham's MATLAB nearcorr).
- NAG g02aa / Higham example: the 4x4 tridiagonal [2, -1] matrix (same test suite).
- Default prices: the snapshot at the top of seed article 000 (shared/seeds/000_82a00c754ff19e15.txt).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin import Market, PortfolioError, default_market, nearest_correlation

FAST = settings(max_examples=50, deadline=None)


def _market3(**changes) -> Market:
    prices = {"BTC": 88000.0, "ETH": 2900.0, "SOL": 140.0}
    vols = {"BTC": 0.55, "ETH": 0.70, "SOL": 0.85}
    corr = {("BTC", "ETH"): 0.85, ("BTC", "SOL"): 0.7, ("ETH", "SOL"): 0.75}
    prices.update(changes.get("prices", {}))
    vols.update(changes.get("vols", {}))
    corr.update(changes.get("corr", {}))
    return Market(prices, vols, corr)


# ---------------------------------------------------------------------------------------------
# Validation: PortfolioError naming the asset(s)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf"), "abc", None])
def test_bad_price_raises_naming_the_asset(bad):
    with pytest.raises(PortfolioError, match="ETH"):
        _market3(prices={"ETH": bad})


@pytest.mark.parametrize("bad", [0.0, -0.2, float("nan"), float("inf")])
def test_bad_vol_raises_naming_the_asset(bad):
    with pytest.raises(PortfolioError, match="SOL"):
        _market3(vols={"SOL": bad})


def test_missing_vol_raises_naming_the_asset():
    with pytest.raises(PortfolioError, match="ETH"):
        Market({"BTC": 1.0, "ETH": 2.0}, {"BTC": 0.5})


@pytest.mark.parametrize("rho", [1.01, -1.5, float("nan")])
def test_correlation_outside_unit_interval_raises_naming_the_pair(rho):
    with pytest.raises(PortfolioError) as info:
        _market3(corr={("ETH", "SOL"): rho})
    assert "ETH" in str(info.value) and "SOL" in str(info.value)


def test_portfolio_error_is_a_value_error():
    assert issubclass(PortfolioError, ValueError)


def test_non_psd_matrix_raises_naming_the_inconsistent_assets():
    """AAA~BBB and BBB~CCC at +0.9 but AAA~CCC at -0.9 is impossible (not PSD); DDD is innocent."""
    prices = {"AAA": 1.0, "BBB": 1.0, "CCC": 1.0, "DDD": 1.0}
    vols = dict.fromkeys(prices, 0.5)
    corr = {("AAA", "BBB"): 0.9, ("BBB", "CCC"): 0.9, ("AAA", "CCC"): -0.9}
    matrix = np.eye(4)
    matrix[0, 1] = matrix[1, 0] = matrix[1, 2] = matrix[2, 1] = 0.9
    matrix[0, 2] = matrix[2, 0] = -0.9
    assert np.linalg.eigvalsh(matrix)[0] < 0  # the premise: really not PSD
    with pytest.raises(PortfolioError) as info:
        Market(prices, vols, corr)
    message = str(info.value)
    for asset in ("AAA", "BBB", "CCC"):
        assert asset in message
    assert "DDD" not in message


def test_non_psd_matrix_as_array_and_dataframe_is_rejected():
    prices = {"A1": 1.0, "B1": 1.0, "C1": 1.0}
    vols = dict.fromkeys(prices, 0.5)
    matrix = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    with pytest.raises(PortfolioError):
        Market(prices, vols, matrix)
    with pytest.raises(PortfolioError):
        Market(prices, vols, pd.DataFrame(matrix, index=list(prices), columns=list(prices)))


def test_missing_pairs_are_zero_and_diagonal_is_one():
    market = Market({"BTC": 1.0, "ETH": 1.0, "SOL": 1.0}, {"BTC": 0.5, "ETH": 0.5, "SOL": 0.5},
                    {("BTC", "ETH"): 0.8})
    corr = market.correlation
    assert corr.loc["ETH", "BTC"] == 0.8 and corr.loc["BTC", "ETH"] == 0.8
    assert corr.loc["BTC", "SOL"] == 0.0
    assert np.all(np.diag(corr.to_numpy()) == 1.0)


# ---------------------------------------------------------------------------------------------
# shocked(): the semantics of docs/model.md
# ---------------------------------------------------------------------------------------------


def _off_diagonal(frame: pd.DataFrame) -> np.ndarray:
    values = frame.to_numpy()
    return values[~np.eye(len(values), dtype=bool)]


def test_corr_shock_minus_one_gives_identity():
    shocked = _market3().shocked(corr_shock=-1.0)
    np.testing.assert_allclose(shocked.correlation.to_numpy(), np.eye(3), atol=1e-15)


def test_corr_shock_plus_one_gives_all_ones():
    shocked = _market3().shocked(corr_shock=1.0)
    np.testing.assert_allclose(shocked.correlation.to_numpy(), np.ones((3, 3)), atol=1e-15)


def test_corr_shock_moves_linearly():
    """s < 0: rho (1 + s) (toward 0); s > 0: rho + s (1 - rho) (toward +1)."""
    base = _market3()
    rho = _off_diagonal(base.correlation)
    np.testing.assert_allclose(_off_diagonal(base.shocked(corr_shock=-0.5).correlation), rho * 0.5)
    np.testing.assert_allclose(_off_diagonal(base.shocked(corr_shock=0.5).correlation), rho + 0.5 * (1 - rho))


def test_negative_correlations_move_toward_zero_and_toward_plus_one():
    market = Market({"BTC": 1.0, "XAU": 1.0}, {"BTC": 0.5, "XAU": 0.2}, {("BTC", "XAU"): -0.6})
    assert market.shocked(corr_shock=-0.5).correlation.loc["BTC", "XAU"] == pytest.approx(-0.3)
    assert market.shocked(corr_shock=0.5).correlation.loc["BTC", "XAU"] == pytest.approx(0.2)


def test_vol_mult_multiplies_vols_and_keeps_prices():
    base = _market3()
    shocked = base.shocked(vol_mult=2.0)
    for asset in base.assets:
        assert shocked.vols[asset] == pytest.approx(2.0 * base.vols[asset])
        assert shocked.prices[asset] == base.prices[asset]
    pd.testing.assert_frame_equal(shocked.correlation, base.correlation)


def test_shocked_returns_a_new_market_and_leaves_the_original_alone():
    base = _market3()
    before = (dict(base.prices), dict(base.vols), base.correlation)
    shocked = base.shocked(vol_mult=3.0, corr_shock=-1.0)
    assert shocked is not base
    assert dict(base.prices) == before[0] and dict(base.vols) == before[1]
    pd.testing.assert_frame_equal(base.correlation, before[2])
    assert base.shocked() == base


@pytest.mark.parametrize("kwargs", [{"vol_mult": 0.0}, {"vol_mult": -1.0}, {"corr_shock": 1.5},
                                    {"corr_shock": -1.01}, {"corr_shock": float("nan")}])
def test_shocked_rejects_out_of_range_arguments(kwargs):
    with pytest.raises(PortfolioError):
        _market3().shocked(**kwargs)


@st.composite
def correlation_matrices(draw):
    """A random valid correlation matrix: normalised Gram matrix of random loadings (any rank)."""
    size = draw(st.integers(min_value=2, max_value=6))
    rank = draw(st.integers(min_value=1, max_value=size))
    values = draw(st.lists(st.floats(min_value=-1.0, max_value=1.0), min_size=size * rank, max_size=size * rank))
    loadings = np.array(values).reshape(size, rank)
    loadings[:, 0] += np.where(loadings[:, 0] >= 0, 0.05, -0.05)  # no all-zero row
    gram = loadings @ loadings.T
    scale = np.sqrt(np.diag(gram))
    corr = gram / np.outer(scale, scale)
    corr = np.clip((corr + corr.T) / 2, -1.0, 1.0)
    np.fill_diagonal(corr, 1.0)
    return corr


@FAST
@given(corr=correlation_matrices(), shock=st.floats(min_value=-1.0, max_value=1.0),
       vol_mult=st.floats(min_value=0.1, max_value=5.0))
def test_shocked_keeps_a_valid_psd_matrix(corr, shock, vol_mult):
    assets = [f"C{i}" for i in range(len(corr))]
    try:
        market = Market(dict.fromkeys(assets, 10.0), dict.fromkeys(assets, 0.5), corr)
    except PortfolioError:
        # Rounding can leave a rank-deficient draw a hair below -1e-9: repair it first.
        market = Market(dict.fromkeys(assets, 10.0), dict.fromkeys(assets, 0.5), nearest_correlation(corr))
    shocked = market.shocked(vol_mult=vol_mult, corr_shock=shock)  # must not raise
    values = shocked.correlation.to_numpy()
    assert np.allclose(values, values.T)
    assert np.all(np.diag(values) == 1.0)
    assert np.all(np.abs(values) <= 1.0 + 1e-12)
    assert np.linalg.eigvalsh(values)[0] >= -1e-9
    for asset in assets:
        assert shocked.vols[asset] == pytest.approx(0.5 * vol_mult)


# ---------------------------------------------------------------------------------------------
# nearest_correlation: Higham (2002) and NAG examples
# ---------------------------------------------------------------------------------------------

HIGHAM_A = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
HIGHAM_X = np.array([
    [1.0, 0.76068985, 0.15729811],
    [0.76068985, 1.0, 0.76068985],
    [0.15729811, 0.76068985, 1.0],
])
NAG_A = np.array([[2.0, -1.0, 0.0, 0.0], [-1.0, 2.0, -1.0, 0.0], [0.0, -1.0, 2.0, -1.0], [0.0, 0.0, -1.0, 2.0]])
NAG_X = np.array([
    [1.0, -0.8084125, 0.1915875, 0.10677505],
    [-0.8084125, 1.0, -0.65623269, 0.1915875],
    [0.1915875, -0.65623269, 1.0, -0.8084125],
    [0.10677505, 0.1915875, -0.8084125, 1.0],
])


def test_nearest_correlation_reproduces_higham_2002_example():
    result = nearest_correlation(HIGHAM_A)
    assert isinstance(result, np.ndarray)
    np.testing.assert_allclose(result, HIGHAM_X, atol=1e-6)


def test_nearest_correlation_reproduces_nag_example():
    np.testing.assert_allclose(nearest_correlation(NAG_A), NAG_X, atol=1e-6)


def test_nearest_correlation_keeps_dataframe_labels_and_repairs_a_market():
    labels = ["AAA", "BBB", "CCC"]
    bad = pd.DataFrame(HIGHAM_A, index=labels, columns=labels)
    with pytest.raises(PortfolioError):
        Market(dict.fromkeys(labels, 1.0), dict.fromkeys(labels, 0.5), bad)
    fixed = nearest_correlation(bad)
    assert isinstance(fixed, pd.DataFrame)
    assert list(fixed.index) == labels and list(fixed.columns) == labels
    np.testing.assert_allclose(fixed.to_numpy(), HIGHAM_X, atol=1e-6)
    market = Market(dict.fromkeys(labels, 1.0), dict.fromkeys(labels, 0.5), fixed)  # accepted
    assert market.correlation.loc["AAA", "CCC"] == pytest.approx(0.15729811, abs=1e-6)


def test_nearest_correlation_leaves_a_valid_matrix_unchanged():
    valid = _market3().correlation.to_numpy()
    np.testing.assert_allclose(nearest_correlation(valid), valid, atol=1e-9)


def test_nearest_correlation_clip_method_gives_a_valid_matrix():
    result = nearest_correlation(NAG_A, method="clip")
    assert np.allclose(np.diag(result), 1.0)
    assert np.allclose(result, result.T)
    assert np.linalg.eigvalsh(result)[0] >= -1e-10
    # Not the nearest: Higham's answer is at least as close in the Frobenius norm.
    target = NAG_A.copy()
    assert np.linalg.norm(NAG_X - target) <= np.linalg.norm(result - target) + 1e-9


def test_nearest_correlation_rejects_nan_and_non_square():
    with pytest.raises(PortfolioError):
        nearest_correlation(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    with pytest.raises(PortfolioError):
        nearest_correlation(np.ones((2, 3)))


# ---------------------------------------------------------------------------------------------
# Immutability
# ---------------------------------------------------------------------------------------------


def test_prices_and_vols_are_read_only():
    market = _market3()
    with pytest.raises(TypeError):
        market.prices["BTC"] = 1.0  # type: ignore[index]
    with pytest.raises(TypeError):
        market.vols["BTC"] = 1.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        market.prices = {"BTC": 1.0}  # type: ignore[misc]


def test_correlation_is_a_copy():
    market = _market3()
    corr = market.correlation
    corr.loc["BTC", "ETH"] = -0.99
    corr.iloc[0, 0] = 7.0
    assert market.correlation.loc["BTC", "ETH"] == 0.85
    assert market.correlation.iloc[0, 0] == 1.0


def test_market_does_not_alias_its_inputs():
    prices = {"BTC": 88000.0}
    vols = {"BTC": 0.55}
    market = Market(prices, vols)
    prices["BTC"] = 1.0
    vols["BTC"] = 9.0
    assert market.prices["BTC"] == 88000.0
    assert market.vols["BTC"] == 0.55


# ---------------------------------------------------------------------------------------------
# default_market: the 15 coins of the seed snapshot
# ---------------------------------------------------------------------------------------------

#: Seed slug (CoinGecko id) -> ticker.
SLUG_TO_TICKER = {
    "bitcoin": "BTC", "ethereum": "ETH", "tether": "USDT", "xrp": "XRP", "bnb": "BNB",
    "solana": "SOL", "usd-coin": "USDC", "tron": "TRX", "dogecoin": "DOGE", "cardano": "ADA",
    "hyperliquid": "HYPE", "bitcoin-cash": "BCH", "chainlink": "LINK", "unus-sed-leo": "LEO",
    "zcash": "ZEC",
}
SEED_NAME = "000_82a00c754ff19e15.txt"


def _seed_path() -> Path | None:
    root = Path(__file__).resolve().parents[1]
    for candidate in (root / "seeds" / SEED_NAME, root.parent / "shared" / "seeds" / SEED_NAME,
                      Path("/work/shared/seeds") / SEED_NAME):
        if candidate.exists():
            return candidate
    return None


def _parse_seed_prices(path: Path) -> dict[str, float]:
    """Lines such as 'bitcoin $87959.907984 USD' at the top of the article."""
    prices = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([a-z0-9-]+) \$([0-9]+(?:\.[0-9]+)?) USD", line.strip())
        if match:
            prices[match.group(1)] = float(match.group(2))
    return prices


def test_default_market_has_the_seed_snapshot_prices():
    path = _seed_path()
    assert path is not None, f"seed article {SEED_NAME} not found (it is committed under seeds/)"
    seed = _parse_seed_prices(path)
    assert len(seed) == 15, seed
    market = default_market()
    assert sorted(market.assets) == sorted(SLUG_TO_TICKER.values())
    for slug, price in seed.items():
        assert market.prices[SLUG_TO_TICKER[slug]] == pytest.approx(price, rel=1e-12), slug


def test_default_market_is_valid_and_stablecoins_are_calm():
    market = default_market()
    assert len(market.assets) == 15
    corr = market.correlation.to_numpy()
    assert np.linalg.eigvalsh(corr)[0] >= -1e-9
    assert all(v > 0 and math.isfinite(v) for v in market.vols.values())
    # Stablecoins barely move: a vol far below any coin's.
    assert max(market.vols["USDT"], market.vols["USDC"]) < min(
        v for a, v in market.vols.items() if a not in ("USDT", "USDC")
    )
    assert corr[market.assets.index("BTC"), market.assets.index("ETH")] == pytest.approx(0.85)


@pytest.mark.parametrize("shock", [-1.0, -0.4, 0.0, 0.5, 1.0])
def test_shock_correlation_of_a_bare_array_matches_the_labelled_matrix_and_leaves_it_untouched(shock):
    from margin.market import shock_correlation

    market = default_market()
    assets = ("BTC", "ETH", "SOL")
    frame = market.correlation.loc[list(assets), list(assets)]
    array = market.vectors(assets)[3]  # read-only: a write would raise
    shocked = shock_correlation(array, shock)
    assert isinstance(shocked, np.ndarray)
    np.testing.assert_array_equal(shocked, shock_correlation(frame, shock).to_numpy())
    np.testing.assert_array_equal(np.diag(shocked), 1.0)
    np.testing.assert_array_equal(array, frame.to_numpy())
    off = ~np.eye(3, dtype=bool)
    expected = frame.to_numpy()[off] + shock * (1 - frame.to_numpy()[off]) if shock >= 0 else frame.to_numpy()[off] * (1 + shock)
    np.testing.assert_allclose(shocked[off], expected)


# ---------------------------------------------------------------------------------------------
# Bad input is refused with a PortfolioError naming the field and the fix, never silently changed
# (issue 15, item 3)
# ---------------------------------------------------------------------------------------------
TWO_PRICES, TWO_VOLS = {"BTC": 88_000.0, "ETH": 2_900.0}, {"BTC": 0.55, "ETH": 0.70}


@pytest.mark.parametrize("matrix", [
    [[1.0, 0.5], [0.2, 1.0]],
    np.array([[1.0, 0.5], [0.2, 1.0]]),
    pd.DataFrame([[1.0, 0.5], [0.2, 1.0]], index=["BTC", "ETH"], columns=["BTC", "ETH"]),
])
def test_an_asymmetric_matrix_is_refused_naming_the_pair_and_both_values(matrix):
    # It used to take the lower triangle (0.2) without a word.
    with pytest.raises(PortfolioError) as info:
        Market(TWO_PRICES, TWO_VOLS, matrix)
    assert str(info.value) == ("market.correlation: the matrix is not symmetric: BTC/ETH is 0.5 but ETH/BTC is 0.2; "
                               "give one value per pair.")


@pytest.mark.parametrize("matrix", [
    [[7.0, 0.5], [0.5, 1.0]],
    np.array([[1.0, 0.5], [0.5, 0.0]]),
    pd.DataFrame([[1.0, 0.5], [0.5, 0.9]], index=["BTC", "ETH"], columns=["BTC", "ETH"]),
])
def test_a_diagonal_that_is_not_one_is_refused(matrix):
    # It used to be ignored (the diagonal was set to 1).
    with pytest.raises(PortfolioError, match=r"market\.correlation\[(BTC, BTC|ETH, ETH)\]: an asset's correlation "
                                             r"with itself is 1 .*Put 1 on the diagonal"):
        Market(TWO_PRICES, TWO_VOLS, matrix)


def test_conflicting_pairs_are_refused_and_equal_duplicates_are_fine():
    with pytest.raises(PortfolioError) as info:
        Market(TWO_PRICES, TWO_VOLS, {("BTC", "ETH"): 0.9, ("ETH", "BTC"): 0.1})  # used to keep 0.1
    assert "BTC/ETH is 0.9 but ETH/BTC is 0.1; give one value per pair" in str(info.value)
    market = Market(TWO_PRICES, TWO_VOLS, {("BTC", "ETH"): 0.9, ("ETH", "BTC"): 0.9})
    assert market.correlation.loc["ETH", "BTC"] == market.correlation.loc["BTC", "ETH"] == 0.9


def test_rounding_noise_between_the_triangles_is_not_a_conflict():
    rho = 0.1 + 0.2  # 0.30000000000000004
    market = Market(TWO_PRICES, TWO_VOLS, [[1.0, rho], [0.3, 1.0]])
    assert market.correlation.loc["BTC", "ETH"] == pytest.approx(0.3, abs=1e-15)


@pytest.mark.parametrize(("correlation", "named"), [
    ("abc", "got the text 'abc'"),
    ([[1.0, 0.5], [0.5]], "row 1 (ETH) has 1 entry; every row needs 2"),
    ([[1.0, "x"], ["x", 1.0]], "market.correlation[BTC, ETH]: must be a number"),
    ([[1.0, None], [None, 1.0]], "market.correlation[BTC, ETH]: must be a number"),
    ([1.0, 0.5], "row 0 (BTC) must be a list of 2 numbers"),
    (5, "give pairs such as {('BTC', 'ETH'): 0.85}"),
    ({("BTC", "ETH"): True}, "market.correlation[BTC, ETH]: must be a number"),
    (pd.DataFrame([[1.0, 0.5]], index=["BTC"], columns=["BTC", "BTC"]), "BTC appears twice among the columns"),
])
def test_unreadable_correlations_are_refused_with_a_portfolio_error(correlation, named):
    # "abc" and ragged lists used to escape as a bare ValueError from NumPy.
    with pytest.raises(PortfolioError) as info:
        Market(TWO_PRICES, TWO_VOLS, correlation)
    assert named in str(info.value)


@pytest.mark.parametrize(("call", "named"), [
    (lambda: Market(TWO_PRICES, TWO_VOLS, None, 5), "market.basis: give a mapping"),
    (lambda: Market(TWO_PRICES, TWO_VOLS, None, {"BTC": 10**400}), "market.basis['BTC']: must be a number"),
    (lambda: Market({"BTC": True}, {"BTC": 0.5}), "market.prices['BTC']: must be a number"),
    (lambda: Market({"BTC": 10**400}, {"BTC": 0.5}), "market.prices['BTC']: must be a number"),
    (lambda: Market({"BTC": 1e300}, {"BTC": 0.5}), "market.prices['BTC']: 1e+300 USD is above"),
    (lambda: _market3().with_prices("abc"), "prices: give a mapping"),
    (lambda: _market3().with_vols(None), "vols: give a mapping"),
    (lambda: _market3().shocked(vol_mult=50), "vol_mult: 50 would take SOL's volatility"),
])
def test_other_bad_market_arguments_name_the_field(call, named):
    with pytest.raises(PortfolioError) as info:
        call()
    assert named in str(info.value)


@pytest.mark.parametrize(("args", "named"), [
    (("abc",), "got the text 'abc'"),
    (([[1.0, 0.5], [0.5]],), "row 1 has 1"),
    ((pd.DataFrame({"BTC": ["x", 1.0]}, index=["BTC", "ETH"]).assign(ETH=[0.5, 1.0]),), "entry [BTC, BTC]"),
    (([[1.0, 1e300], [1e300, 1.0]],), "correlations lie between -1 and 1"),
    ((np.eye(2), "higham", "many"), "max_iterations must be a whole number"),
    ((np.eye(2), "higham", 200, float("nan")), "tol"),
])
def test_nearest_correlation_refuses_bad_input_with_a_portfolio_error(args, named):
    # nearest_correlation("abc") used to raise a bare ValueError.
    with pytest.raises(PortfolioError) as info:
        nearest_correlation(*args)
    assert named in str(info.value)
