"""Margin Lab engine: cross, isolated and portfolio margin, VaR, liquidation prices and shock sweeps.

Pure Python + NumPy + pandas + SciPy; never imports streamlit or plotly. Money is USD, volatility
annualised as a fraction, time to expiry in calendar days (years = days / 365).
"""

from margin.cross import cross_margin, isolated_margin
from margin.defaults import default_market
from margin.errors import PortfolioError
from margin.instruments import Future, Option, Perp, Portfolio, Spot
from margin.market import Market, nearest_correlation
from margin.params import CrossParams, PortfolioParams
from margin.portfolio import portfolio_margin
from margin.results import MarginResult

__all__ = [
    "CrossParams",
    "Future",
    "Market",
    "MarginResult",
    "Option",
    "Perp",
    "Portfolio",
    "PortfolioError",
    "PortfolioParams",
    "Spot",
    "cross_margin",
    "default_market",
    "isolated_margin",
    "nearest_correlation",
    "portfolio_margin",
]
