"""Coin-margined (inverse) contracts in words and in their coin. Pure; no streamlit.

An inverse contract is sized in US dollars of face value and settled in its coin: at a price P its
face F is F / P coins, and its P&L in the coin is F x (1/entry - 1/P). The readings here say how
many coins a face value is at today's price, and what the requirements are in the coin when the
whole book is coin-margined on one coin (USD amounts / today's index price). Money in USD.
"""

from __future__ import annotations

import math

from margin import Portfolio, Spot
from margin.instruments import INVERSE_TYPES, InverseFuture, describe
from margin.market import Market
from views import text


def today_mark(position, market: Market) -> float:
    """Today's mark (USD) of an inverse contract: the spot price for a perp, spot x exp(basis x
    days / 365) for a future (the market's rule, as the engine marks it)."""
    spot = float(market.prices[position.asset])
    if isinstance(position, InverseFuture):
        return spot * math.exp(float(market.basis.get(position.asset, 0.0)) * position.expiry_days / 365.0)
    return spot


def coins(amount: float, coin: str) -> str:
    """An amount of a coin: '0.0503 BTC', '1.1369 BTC', '12,345.67 DOGE', '0.00001234 BTC'."""
    size = abs(amount)
    if size == 0:
        shown = "0"
    elif size >= 100:
        shown = f"{amount:,.2f}"
    elif size >= 0.0001:
        shown = f"{amount:.4f}"
    else:
        shown = f"{amount:.3g}"
    return f"{shown.replace('-', '−')} {coin}"


def coin_size(position, market: Market) -> float:
    """The coins an inverse contract's face value is worth at today's mark (unsigned)."""
    return abs(position.usd_size) / today_mark(position, market)


def read_inverse(position, market: Market) -> str:
    """'long $10,000 BTC inverse perp = 0.1137 BTC at today's price ($87,960)'; a future is counted
    at its own mark today."""
    label = describe(position)
    label = label[0].lower() + label[1:]
    mark = today_mark(position, market)
    where = "today's price" if not isinstance(position, InverseFuture) else "its mark today"
    return f"{label} = {coins(coin_size(position, market), position.asset)} at {where} ({text.price(mark)})"


def position_label(position) -> str:
    """A position's label for the Build page's picker: :func:`margin.instruments.describe` without the size
    ('Short BTC 100,000 call 14d'). The size is the slider moved most: a label without it stays the same
    while it moves, so the picker is not redrawn on each move (the table above, and the slider, show it)."""
    return describe(position, sized=False)


def read_inverse_rows(positions, market: Market) -> str:
    """One sentence on the coin-margined rows of ``positions`` (a book's, in table order; empty when
    there are none): each face value in coins today, and that their P&L is paid in the coin."""
    rows = [(number, p) for number, p in enumerate(positions, start=1)
            if isinstance(p, INVERSE_TYPES) and p.asset in market.prices]
    if not rows:
        return ""
    parts = "; ".join(f"row {number}, {read_inverse(p, market)}" for number, p in rows)
    settled = sorted({p.asset for _, p in rows})
    return (f"Coin-margined rows, sized in US dollars and settled in {', '.join(settled)}: {parts}. Their profit "
            "and loss is paid in the coin: face × (1/entry − 1/price) coins.")


def book_coin(portfolio: Portfolio) -> str | None:
    """The coin a book is margined in when every position is an inverse contract on that one coin (or
    a spot holding of it), with at least one inverse contract; None otherwise. Collateral may be any."""
    inverse = {p.asset for p in portfolio.positions if isinstance(p, INVERSE_TYPES)}
    if len(inverse) != 1:
        return None
    coin = next(iter(inverse))
    if all(isinstance(p, INVERSE_TYPES) or (isinstance(p, Spot) and p.asset == coin) for p in portfolio.positions):
        return coin
    return None


def in_coin(usd: float, coin: str, market: Market) -> float:
    """A USD amount in ``coin`` at today's index price."""
    return usd / float(market.prices[coin])


def read_in_coin(coin: str, market: Market, cross, portfolio) -> str:
    """The two modes' requirements and equity in ``coin`` at today's index price, from the results
    (``cross``, ``portfolio``: MarginResults in USD), for a book margined in that coin."""
    def amounts(result) -> str:
        return ", ".join(f"{name} {coins(in_coin(getattr(result, name), coin, market), coin)}"
                         for name in ("initial", "maintenance", "equity"))

    return (f"In {coin}, at today's price ({text.price(market.prices[coin])}): cross {amounts(cross)}; portfolio "
            f"{amounts(portfolio)}. Every position here settles in {coin}, so a coin-margined venue states its "
            f"amounts in {coin}: these are the cards' USD figures divided by today's price.")


def settles_in_dollars(position) -> bool:
    """A derivative settled in dollars (stablecoins): a linear perp or future, a dollar-settled option."""
    from margin import Future, Option, Perp
    return isinstance(position, (Perp, Future)) or (isinstance(position, Option) and not position.coin_settled)


def read_pooled_equity(portfolio: Portfolio, params) -> str:
    """Under a rule set that keeps settlement currencies apart (``inverse_risk_in_coin``), a book with a
    coin side (coin balances, coin-margined contracts, coin-settled options) and dollar-settled
    derivatives: say that the requirement is each account's while the equity here is pooled, so the
    liquidation price shown is the whole account's; "" otherwise."""
    from margin.market import is_stablecoin
    if not params.inverse_risk_in_coin:
        return ""
    dollar_side = any(settles_in_dollars(p) for p in portfolio.positions)
    coin_side = (any(q > 0 and not is_stablecoin(a) for a, q in portfolio.holdings().items())
                 or any(not settles_in_dollars(p) and not isinstance(p, Spot) for p in portfolio.positions))
    if not (dollar_side and coin_side):
        return ""
    return (f"{params.title} keeps each settlement currency's account apart, and Deribit would liquidate the "
            "dollar-settled positions' account on its own. This tool pools the accounts' equity in dollars: the "
            "coins' gains pay the dollar-settled positions' losses here, so the liquidation price shown is the "
            "whole account's, not each account's.")
