"""The default market: the 15-coin price snapshot of seed article 000, with stated assumptions.

Prices (USD) are copied from the snapshot at the top of ``shared/seeds/000_82a00c754ff19e15.txt``
(a CoinGecko-style ticker captured with the article of 24 Dec 2025); the seed names coins by slug
(``bitcoin``, ``usd-coin``...), mapped here to their tickers.

Volatilities are ASSUMPTIONS: round annualised figures of the order of each coin's realised
30-day volatility in late 2025 (BTC ~55 %, ETH ~70 %, large alts 80-100 %, newer tokens above),
stablecoins 1 %. They are not estimated from data; the Build page lets users replace them, or
estimate them from a price history they upload.

Correlations are an ASSUMPTION built from a one-factor model: each coin has a loading ``beta``
on a common "crypto market" factor and rho(i, j) = beta_i * beta_j. A one-factor matrix is
positive semi-definite by construction; loadings are chosen so BTC/ETH is 0.85 (the figure of the
example in docs/model.md) and large alts sit at 0.7-0.8 with BTC, typical of 2024-25 daily returns.
Stablecoins load 0 on the factor.

Basis is an ASSUMPTION: dated futures trade at a 5 % annualised premium (contango) to spot.
"""

from __future__ import annotations

import datetime
import math

from margin.market import Market

#: The date of the seed snapshot: the default market's date (names' expiries count days from it).
SNAPSHOT_DATE = datetime.date(2025, 12, 24)

#: (ticker, seed slug, USD price from the seed snapshot, assumed annual vol, factor loading)
SNAPSHOT: tuple[tuple[str, str, float, float, float], ...] = (
    ("BTC", "bitcoin", 87959.907984, 0.55, math.sqrt(0.85)),
    ("ETH", "ethereum", 2920.497338, 0.70, math.sqrt(0.85)),
    ("USDT", "tether", 0.999775, 0.01, 0.0),
    ("XRP", "xrp", 2.237324, 0.85, 0.80),
    ("BNB", "bnb", 860.243768, 0.55, 0.80),
    ("SOL", "solana", 138.089498, 0.85, 0.88),
    ("USDC", "usd-coin", 0.999807, 0.01, 0.0),
    ("TRX", "tron", 0.272801, 0.55, 0.55),
    ("DOGE", "dogecoin", 0.150904, 0.95, 0.85),
    ("ADA", "cardano", 0.421635, 0.90, 0.85),
    ("HYPE", "hyperliquid", 32.152445, 1.10, 0.70),
    ("BCH", "bitcoin-cash", 533.301069, 0.80, 0.80),
    ("LINK", "chainlink", 12.953417, 0.90, 0.85),
    ("LEO", "unus-sed-leo", 9.535951, 0.45, 0.35),
    ("ZEC", "zcash", 521.483386, 1.20, 0.55),
)

#: Assumed annualised basis of dated futures over spot (contango), as a fraction.
DEFAULT_BASIS = 0.05


def default_prices() -> dict[str, float]:
    """Ticker -> USD price from the seed snapshot."""
    return {ticker: price for ticker, _, price, _, _ in SNAPSHOT}


def default_vols() -> dict[str, float]:
    """Ticker -> assumed annualised volatility (fraction)."""
    return {ticker: vol for ticker, _, _, vol, _ in SNAPSHOT}


def default_correlation_pairs() -> dict[tuple[str, str], float]:
    """(ticker, ticker) -> one-factor correlation beta_i * beta_j, rounded to 2 decimals.

    Rounding keeps the numbers readable in the UI; the matrix stays PSD because every loading
    is below 1 and the residual diagonal (1 - beta^2 >= 0.15) dwarfs a rounding of 0.005.
    """
    pairs = {}
    for i, (a, _, _, _, beta_a) in enumerate(SNAPSHOT):
        for b, _, _, _, beta_b in SNAPSHOT[i + 1 :]:
            rho = round(beta_a * beta_b, 2)
            if rho != 0.0:
                pairs[(a, b)] = rho
    return pairs


def default_market() -> Market:
    """The default 15-coin Market (seed prices; assumed vols, correlations and basis)."""
    return Market(
        default_prices(),
        default_vols(),
        default_correlation_pairs(),
        {ticker: DEFAULT_BASIS for ticker, _, _, _, beta in SNAPSHOT if beta > 0},
    )
