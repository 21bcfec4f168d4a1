"""Margin Lab engine: cross, isolated and portfolio margin, VaR, liquidation prices and shock sweeps.

Pure Python + NumPy + pandas + SciPy; never imports streamlit or plotly. Money is USD, volatility
annualised as a fraction, time to expiry in calendar days (years = days / 365).
"""

from margin.benefit import hedging_benefit
from margin.cross import cross_margin, isolated_margin
from margin.defaults import default_market
from margin.errors import PortfolioError
from margin.greeks import book_greeks
from margin.instruments import Future, InverseFuture, InversePerp, Option, Perp, Portfolio, Spot
from margin.io import load_document, load_portfolio, save_portfolio
from margin.liquidation import liquidation_price, liquidation_prices, margin_curves
from margin.market import Market, nearest_correlation
from margin.params import CrossParams, PortfolioParams
from margin.payoff import book_pnl, payoff_frame
from margin.portfolio import portfolio_margin
from margin.presets import CROSS_PRESETS, PORTFOLIO_PRESETS
from margin.replay import replay
from margin.results import MarginResult
from margin.risk import simulate_pnl, value_at_risk
from margin.stress import detect_jumps, shock_sweep
from margin.whatif import incremental_margin, make_trade

__all__ = [
    "CROSS_PRESETS",
    "PORTFOLIO_PRESETS",
    "CrossParams",
    "Future",
    "InverseFuture",
    "InversePerp",
    "Market",
    "MarginResult",
    "Option",
    "Perp",
    "Portfolio",
    "PortfolioError",
    "PortfolioParams",
    "Spot",
    "book_greeks",
    "book_pnl",
    "cross_margin",
    "default_market",
    "detect_jumps",
    "hedging_benefit",
    "incremental_margin",
    "isolated_margin",
    "liquidation_price",
    "liquidation_prices",
    "load_document",
    "load_portfolio",
    "make_trade",
    "margin_curves",
    "nearest_correlation",
    "payoff_frame",
    "portfolio_margin",
    "replay",
    "save_portfolio",
    "shock_sweep",
    "simulate_pnl",
    "value_at_risk",
]
