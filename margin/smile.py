"""A volatility smile per asset: each option's implied vol from its strike and expiry.

The market quotes one at-the-money vol per asset (``Market.vols``). Real option markets do not price
every strike at that vol: crypto puts far below the price trade at higher vols than at-the-money
options (skew), and both wings above the centre (curvature). A short out-of-the-money put priced at
the at-the-money vol understates its premium, its scenario losses and its margin.

The smile here is a two-parameter curve in time-scaled log-moneyness, one per asset, so each expiry
gets its own curve from the same two numbers:

    x = ln(K / S) / sqrt(T)                  (T in years, at least one day)
    iv(K, T) = atm_vol x clip(1 + skew x + curvature x^2, 0.2, 5)

``skew`` below 0 lifts the vols of low strikes (puts), the usual shape in crypto; ``curvature`` of 0
or more lifts both wings. (0, 0) is flat: every option at the at-the-money vol, exactly as before.
Scaling by sqrt(T) makes a short expiry's smile steeper in strike than a long one's, as quoted smiles
are. The multiplier scales the at-the-money vol, so a vol shock (x 2) shifts the whole smile with it.
The clip keeps every vol between a fifth and five times the at-the-money vol however far a strike is.

Within a scenario grid the vol of each option is held at its strike (sticky strike): a price move of
the grid revalues each option at the vol it had today. A market state at another price (a point of a
liquidation curve) is a new market, whose smile centres on that price.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from margin.errors import PortfolioError

#: The smile's multiplier of the at-the-money vol stays within these bounds.
SMILE_FLOOR, SMILE_CAP = 0.2, 5.0
#: Bounds of the two parameters a user may type (beyond them the curve is clipped at every strike).
MAX_SKEW, MAX_CURVATURE = 2.0, 5.0
#: The shortest time used in the moneyness scale: one day, so an option expiring today stays finite.
MIN_YEARS = 1.0 / 365.0
FLAT = (0.0, 0.0)


def smile_multiplier(spot, strike, years, skew, curvature) -> np.ndarray:
    """The multiplier of the at-the-money vol for options of ``strike`` (USD) and ``years`` to
    expiry when the underlying is at ``spot`` (USD); all arguments broadcast together."""
    x = np.log(np.asarray(strike, dtype=float) / np.asarray(spot, dtype=float))
    x = x / np.sqrt(np.maximum(np.asarray(years, dtype=float), MIN_YEARS))
    return np.clip(1.0 + skew * x + curvature * x * x, SMILE_FLOOR, SMILE_CAP)


def smile_vol(atm_vol: float, spot: float, strike: float, years: float, skew: float, curvature: float) -> float:
    """One option's implied vol (annualised fraction) on the smile: atm_vol x :func:`smile_multiplier`."""
    return float(atm_vol * smile_multiplier(spot, strike, years, skew, curvature))


def check_smile(asset: str, value: object) -> tuple[float, float]:
    """A validated (skew, curvature) for ``asset`` from a pair or a mapping {"skew": .., "curvature": ..}."""
    field = f"market.smile['{asset}']"
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"skew", "curvature"}, key=str)
        if unknown:
            raise PortfolioError(f"{field}.{unknown[0]}: unknown; a smile has 'skew' and 'curvature'.")
        pair = (value.get("skew", 0.0), value.get("curvature", 0.0))
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        pair = tuple(value)
    else:
        raise PortfolioError(f"{field}: give {{'skew': -0.1, 'curvature': 0.05}} or a pair (skew, curvature).")
    skew = _number(pair[0], f"{field}.skew", -MAX_SKEW, MAX_SKEW,
                   "negative lifts the vols of low strikes (puts), e.g. -0.1; 0 is flat")
    curvature = _number(pair[1], f"{field}.curvature", 0.0, MAX_CURVATURE,
                        "0 or more lifts both wings, e.g. 0.05; 0 is flat")
    return skew, curvature


def _number(value: object, field: str, low: float, high: float, meaning: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise PortfolioError(f"{field}: must be a number between {low:g} and {high:g} ({meaning}); got {value!r}.")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise PortfolioError(f"{field}: must be between {low:g} and {high:g} ({meaning}); got {value!r}.")
    return number
