"""The volatility smile in words and numbers: the curves to draw and the reading beside them. Pure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from margin import Market, Option, Portfolio
from margin.pricing import black76_price
from margin.smile import smile_multiplier
from views import text

#: Strikes drawn for each expiry, as a share of today's price.
STRIKE_SPAN = (0.5, 1.6)
POINTS = 81


def smile_curves(book: Portfolio, market: Market, asset: str) -> pd.DataFrame:
    """The implied vol (annualised fraction) against the strike (USD) for every expiry of the book's
    options on ``asset``: columns expiry_days, strike, vol."""
    today, atm = float(market.prices[asset]), float(market.vols[asset])
    skew, curvature = market.smile.get(asset, (0.0, 0.0))
    strikes = today * np.linspace(*STRIKE_SPAN, POINTS)
    frames = []
    for days in sorted({p.expiry_days for p in _options(book, asset)}):
        vols = atm * smile_multiplier(today, strikes, days / 365.0, skew, curvature)
        frames.append(pd.DataFrame({"expiry_days": days, "strike": strikes, "vol": vols}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["expiry_days", "strike", "vol"])


def option_points(book: Portfolio, market: Market, asset: str) -> pd.DataFrame:
    """Each option of the book on ``asset`` at its vol on the smile: label, expiry_days, strike, vol,
    mark (USD) on the smile and at the at-the-money vol."""
    today, atm = float(market.prices[asset]), float(market.vols[asset])
    skew, curvature = market.smile.get(asset, (0.0, 0.0))
    rows = []
    for option in _options(book, asset):
        years = option.expiry_days / 365.0
        vol = atm * float(smile_multiplier(today, option.strike, years, skew, curvature))
        rows.append({"label": f"{option.strike:,.6g} {option.kind} {option.expiry_days:g}d",
                     "expiry_days": option.expiry_days, "strike": option.strike, "vol": vol,
                     "mark": float(black76_price(today, option.strike, vol, years, option.is_call)),
                     "flat_mark": float(black76_price(today, option.strike, atm, years, option.is_call))})
    return pd.DataFrame(rows, columns=["label", "expiry_days", "strike", "vol", "mark", "flat_mark"])


def read_smile(asset: str, points: pd.DataFrame, atm: float, skew: float, curvature: float) -> str:
    """One sentence per book on the asset: flat, or the option furthest from the at-the-money vol."""
    if skew == 0.0 and curvature == 0.0:
        return (f"Flat: every {asset} option is priced at the at-the-money {text.percent(atm)} a year, whatever "
                "its strike. Real markets price low strikes (puts) higher: try a skew of −0.1.")
    if points.empty:
        return f"The book holds no {asset} option; the smile changes nothing yet."
    row = points.loc[(points["vol"] - atm).abs().idxmax()]
    word = "above" if row["vol"] > atm else "below" if row["vol"] < atm else "at"
    premium = "dearer" if row["mark"] > row["flat_mark"] else "cheaper" if row["mark"] < row["flat_mark"] else "the same"
    return (f"The {asset} {row['label']} is priced at {text.percent(row['vol'])} a year, {word} the at-the-money "
            f"{text.percent(atm)}: its premium is {text.money(row['mark'], 2)} per contract instead of "
            f"{text.money(row['flat_mark'], 2)} ({premium}), and every scenario of the grid revalues it at that vol.")


def _options(book: Portfolio, asset: str) -> list[Option]:
    return [p for p in book.positions if isinstance(p, Option) and p.asset == asset]
