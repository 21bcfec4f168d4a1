"""Generate ``sample_data/example_prices.csv``: one simulated year of daily closes for BTC, ETH, SOL.

Daily log returns are drawn from a multivariate normal with zero mean, the annual volatilities in
:data:`ANNUAL_VOLS` (fractions, 365-day year: daily sigma = annual / sqrt(365)) and the
correlations in :data:`CORRELATIONS`, with the fixed seed :data:`SEED`, so the file is reproducible
and the estimators in :mod:`margin.history` can be checked against known answers. The first close
of each asset is its snapshot price from the seed article (:data:`START_PRICES`, USD).

Run from the repository root::

    python scripts/make_example_prices.py            # writes sample_data/example_prices.csv
    python scripts/make_example_prices.py out.csv    # writes elsewhere

The constants are importable (``tests/test_history.py`` loads this file to know the true values).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20251224
START_DATE = "2025-01-01"
#: Number of daily closes (so N_DAYS - 1 returns); 2025 has 365 days.
N_DAYS = 365
DAYS_PER_YEAR = 365
ASSETS = ("BTC", "ETH", "SOL")
#: First close of each asset, USD (the seed article's snapshot).
START_PRICES = {"BTC": 87959.91, "ETH": 2920.50, "SOL": 138.09}
#: Annualised volatility of daily log returns, as a fraction.
ANNUAL_VOLS = {"BTC": 0.55, "ETH": 0.70, "SOL": 0.85}
#: Correlation of daily log returns.
CORRELATIONS = {("BTC", "ETH"): 0.85, ("BTC", "SOL"): 0.75, ("ETH", "SOL"): 0.80}
#: Decimal places written to the CSV (prices are written with 6 decimals, far below the daily moves).
DECIMALS = 6
OUTPUT = Path(__file__).resolve().parents[1] / "sample_data" / "example_prices.csv"


def correlation_array() -> np.ndarray:
    """The correlation matrix in the order of :data:`ASSETS`."""
    matrix = np.eye(len(ASSETS))
    for (first, second), rho in CORRELATIONS.items():
        i, j = ASSETS.index(first), ASSETS.index(second)
        matrix[i, j] = matrix[j, i] = rho
    return matrix


def build_prices() -> pd.DataFrame:
    """The simulated closes: DataFrame indexed by date (``date``), one column per asset."""
    daily = np.array([ANNUAL_VOLS[a] for a in ASSETS]) / np.sqrt(DAYS_PER_YEAR)
    chol = np.linalg.cholesky(correlation_array())
    rng = np.random.default_rng(SEED)
    shocks = rng.standard_normal((N_DAYS - 1, len(ASSETS)))
    returns = (shocks @ chol.T) * daily
    paths = np.vstack([np.zeros(len(ASSETS)), np.cumsum(returns, axis=0)])
    closes = np.array([START_PRICES[a] for a in ASSETS]) * np.exp(paths)
    dates = pd.date_range(START_DATE, periods=N_DAYS, freq="D", name="date")
    return pd.DataFrame(closes, index=dates, columns=list(ASSETS))


def write_csv(path: Path | str = OUTPUT) -> Path:
    """Write the wide CSV (``date,BTC,ETH,SOL``) and return its path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    build_prices().to_csv(target, float_format=f"%.{DECIMALS}f", date_format="%Y-%m-%d", lineterminator="\n")
    return target


if __name__ == "__main__":
    written = write_csv(sys.argv[1] if len(sys.argv) > 1 else OUTPUT)
    print(f"wrote {written}")
