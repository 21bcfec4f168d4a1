"""Hedging benefit: what offsets save *within* one margin mode. Money in USD.

Definition (docs/model.md, "Hedging benefit"): for a mode, the sum of each position's requirement
standing alone (same rule set, same market) minus the book's requirement, for initial and for
maintenance margin separately::

    benefit = sum_i requirement(position_i alone) - requirement(book)

It measures offsets, not a mode or a leverage difference:

* under cross margin it is 0 by construction: cross margin *is* the sum of per-position
  requirements, so nothing can offset anything;
* under portfolio margin it is what the offsets save: positions in one risk unit netting in the
  same scenario, units offsetting through the correlations, short options netted per strike, less
  any add-on that only the combination triggers (the basis add-on on hedged linear positions), so
  it can be negative;
* a naked position has none, whatever its leverage: leverage sets cross initial margin only, and
  the same leverage enters the position alone and the book.

What "a position standing alone" means here:

* **An instrument is one position.** Rows of the book on the same instrument (an asset's perp; its
  future of one expiry; one option series: asset, call/put, strike, expiry) stand alone together,
  as the one position a venue holds per instrument (cross margin takes the tier of the whole
  position). Splitting a row in two changes no benefit, and netting a long and a short row on the
  same instrument is not a hedge.
* **A coin balance is one position.** Collateral and ``Spot`` rows of the same coin are one balance
  (``Portfolio.holdings``, as the engine nets them) and stand alone as their own position, with
  their own requirement: a borrow's borrow margin under cross; under portfolio margin a coin's scan
  loss, and for a stablecoin the depeg add-on.
* **Standalone positions carry no collateral.** Requirements do not depend on collateral (it moves
  equity, not the requirement), and collateral is already a position of its own. Handing the book's
  stablecoins to every standalone position would charge the depeg add-on once per position and
  invent a "benefit" of (positions - 1) x the add-on; this way the add-on counts once on each side.

Each standalone book is priced with the public engine call of the mode (:func:`cross_margin` or
:func:`portfolio_margin`), the rule set resolved once per call, each instrument priced once.
Differences within float noise (1e-9 of the standalone sum) are reported as exactly 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from margin.cross import cross_margin
from margin.errors import PortfolioError
from margin.instruments import Future, InverseFuture, InversePerp, Option, Perp, Portfolio, Spot, describe
from margin.market import Market
from margin.params import CrossParams, PortfolioParams
from margin.portfolio import portfolio_margin
from margin.presets import cross_params, portfolio_params

__all__ = ["HedgingBenefit", "hedging_benefit", "standalone_books"]

MODES = ("cross", "portfolio")
#: A benefit within this fraction of the standalone sum is float noise (summation order) and reads 0.
NOISE = 1e-9
STANDALONE_COLUMNS = ["position", "kind", "asset", "qty", "rows", "initial", "maintenance"]


@dataclass(frozen=True, eq=False)
class HedgingBenefit:
    """Hedging benefit of a book under one mode. Money in USD; shares are fractions (0.42 = 42 %).

    Attributes:
        mode: "cross" or "portfolio".
        params_name: the rule set used.
        standalone: one row per position standing alone: ``position`` (label), ``kind`` ("perp",
            "future", "inverse perp", "inverse future", "option", "holding"), ``asset``, ``qty`` (net, in
            coins; an inverse contract's face / entry), ``rows`` (indices of
            the book's ``positions`` it gathers; empty for collateral alone), ``initial`` and
            ``maintenance`` (USD, the position's requirement in a book of its own).
        standalone_initial, standalone_maintenance: column sums of ``standalone``.
        book_initial, book_maintenance: the book's own requirement under the mode.
        initial, maintenance: the benefit, standalone sum minus book (USD); negative when holding the
            positions together costs more than holding them apart.
        initial_share, maintenance_share: the benefit over the standalone sum (fraction); None when
            the standalone sum is 0 (nothing to save).
    """

    mode: str
    params_name: str
    standalone: pd.DataFrame
    standalone_initial: float
    standalone_maintenance: float
    book_initial: float
    book_maintenance: float
    initial: float
    maintenance: float
    initial_share: float | None
    maintenance_share: float | None

    def summary(self) -> dict[str, float | None]:
        """The numbers without the table."""
        return {name: getattr(self, name) for name in (
            "standalone_initial", "standalone_maintenance", "book_initial", "book_maintenance",
            "initial", "maintenance", "initial_share", "maintenance_share")}


def _instrument(position) -> tuple:
    """The instrument a row trades: rows with equal keys are one position (a coin-margined contract is
    an instrument of its own, apart from the linear one on the same asset)."""
    if isinstance(position, Perp):
        return ("perp", position.asset)
    if isinstance(position, Future):
        return ("future", position.asset, float(position.expiry_days))
    if isinstance(position, InversePerp):
        return ("inverse perp", position.asset)
    if isinstance(position, InverseFuture):
        return ("inverse future", position.asset, float(position.expiry_days))
    if isinstance(position, Option):
        return ("option", position.asset, position.kind, float(position.strike), float(position.expiry_days))
    return ("holding", position.asset)


def standalone_books(book: Portfolio) -> list[tuple[dict, Portfolio]]:
    """The positions of ``book`` standing alone: [(description, a book holding only that position)].

    Derivative rows are grouped by instrument (first-seen order); coin balances (collateral plus
    ``Spot`` rows of a coin) follow, one per coin, as collateral of a book with no other position.
    No standalone book carries the book's collateral. The description has ``position``, ``kind``,
    ``asset``, ``qty`` and ``rows`` (see :class:`HedgingBenefit`).
    """
    if not isinstance(book, Portfolio):
        raise PortfolioError(f"book: expected a Portfolio, got {type(book).__name__}.")
    groups: dict[tuple, list[int]] = {}
    spot_rows: dict[str, list[int]] = {}
    for index, position in enumerate(book.positions):
        if isinstance(position, Spot):
            spot_rows.setdefault(position.asset, []).append(index)
        else:
            groups.setdefault(_instrument(position), []).append(index)
    out = []
    for key, rows in groups.items():
        positions = tuple(book.positions[i] for i in rows)
        qty = math.fsum(p.qty for p in positions)
        label = describe(positions[0]) if len(rows) == 1 else " + ".join(describe(p) for p in positions)
        out.append(({"position": label, "kind": key[0], "asset": key[1], "qty": qty, "rows": tuple(rows)},
                    Portfolio(positions)))
    for asset, qty in book.holdings().items():
        rows = tuple(spot_rows.get(asset, ()))
        where = [] if not rows else [f"spot row{'s' if len(rows) > 1 else ''} "
                                     + ", ".join(str(i + 1) for i in rows)]
        if asset in book.collateral:
            where.append("collateral")
        label = f"{'Hold' if qty >= 0 else 'Borrow'} {abs(qty):,.6g} {asset} ({' + '.join(where)})"
        out.append(({"position": label, "kind": "holding", "asset": asset, "qty": float(qty), "rows": rows},
                    Portfolio((), {asset: qty})))
    return out


def _rules(mode: object, params: object) -> tuple[str, CrossParams | PortfolioParams]:
    if not isinstance(mode, str) or mode.lower() not in MODES:
        raise PortfolioError(f"mode: must be 'cross' or 'portfolio', got {mode!r}.")
    mode = mode.lower()
    expected = CrossParams if mode == "cross" else PortfolioParams
    if params is not None and not isinstance(params, (str, expected)):
        raise PortfolioError(f"params: mode '{mode}' takes None, a preset name or a {expected.__name__}, "
                             f"got {type(params).__name__}.")
    try:
        return mode, (cross_params(params) if mode == "cross" else portfolio_params(params))
    except PortfolioError as error:
        raise PortfolioError(f"params: {error}") from None


def _benefit(standalone: float, together: float) -> tuple[float, float | None]:
    usd = standalone - together
    if abs(usd) <= NOISE * max(abs(standalone), abs(together)):
        usd = 0.0
    return usd, (usd / standalone if standalone > 0 else None)


def hedging_benefit(book: Portfolio, market: Market, mode: str = "portfolio",
                    params: CrossParams | PortfolioParams | str | None = None) -> HedgingBenefit:
    """Hedging benefit of ``book`` under ``mode``: standalone sum minus book requirement (USD).

    Args:
        book: the Portfolio.
        market: the Market (prices USD, vols annualised fractions).
        mode: "portfolio" (default) or "cross".
        params: the mode's rule set: None (its default preset), a preset name, or a CrossParams /
            PortfolioParams matching ``mode``.

    Returns a :class:`HedgingBenefit` with the per-position standalone requirements (DataFrame),
    their sums, the book's requirement, and the benefit in USD and as a fraction of the standalone
    sum, for initial and maintenance margin separately. See the module docstring for what a
    position standing alone is (instruments; coin balances; no collateral).

    Raises PortfolioError naming the argument (``book``, ``market``, ``mode``, ``params``) or, from
    the engine, the position or asset at fault.

    Example: one long BTC perp and 20,000 USDC (sample 01) have a benefit of 0 under both modes, at
    any leverage; the BTC/ETH pair (sample 03) has a positive portfolio-margin benefit.
    """
    if not isinstance(book, Portfolio):
        raise PortfolioError(f"book: expected a Portfolio, got {type(book).__name__}.")
    if not isinstance(market, Market):
        raise PortfolioError(f"market: expected a Market, got {type(market).__name__}.")
    mode, rules = _rules(mode, params)
    price = cross_margin if mode == "cross" else portfolio_margin
    whole = price(book, market, rules)  # first: an unpriced asset is named by its position in the book
    pieces = standalone_books(book)
    needs = np.array([[alone.initial, alone.maintenance]
                      for alone in (price(piece, market, rules) for _, piece in pieces)], dtype=float).reshape(-1, 2)
    table = pd.DataFrame([description for description, _ in pieces], columns=STANDALONE_COLUMNS[:5])
    table["initial"], table["maintenance"] = needs[:, 0], needs[:, 1]
    standalone_initial, standalone_maintenance = (math.fsum(needs[:, 0]), math.fsum(needs[:, 1]))
    initial, initial_share = _benefit(standalone_initial, whole.initial)
    maintenance, maintenance_share = _benefit(standalone_maintenance, whole.maintenance)
    return HedgingBenefit(
        mode=mode, params_name=rules.name, standalone=table[STANDALONE_COLUMNS],
        standalone_initial=standalone_initial, standalone_maintenance=standalone_maintenance,
        book_initial=float(whole.initial), book_maintenance=float(whole.maintenance),
        initial=initial, maintenance=maintenance, initial_share=initial_share, maintenance_share=maintenance_share,
    )
