"""The whole portfolio-margin model as slow, obvious loops: the reference the fast paths are held to.

Nothing here is vectorised or cached: every unit is revalued one scenario at a time, one option at
a time, with scalar Black-76 prices. It shares no code with :mod:`margin.portfolio`,
:mod:`margin.units` or :mod:`margin.offsets` except :func:`margin.pricing.black76_price` and the
rule-set parameters, so a mistake in the fast path cannot hide in both (the py_vollib habit: a
reference mirror beside the fast model). Property tests (tests/test_reference.py) hold
:func:`margin.portfolio_margin`, the sweep and the liquidation curve to it on random books.

The model, step by step (every number is a field of :class:`margin.params.PortfolioParams`):

1. Risk units: an asset is a unit when the book holds a perp, future or option on it, or a
   non-stablecoin holding. Stablecoins are not scanned; their risk is the depeg add-on.
2. Scan range R = min(max(floor, k x vol x sqrt(horizon_days / 365)), 0.95) of spot.
3. Each option's vol in state up / flat / down: iv (1 + up (ref/DTE)^p), iv, iv max(1 - down
   (ref/DTE)^p, 0.05), p = power_short under ``vol_reference_days`` days, power_long beyond.
4. A unit alone: its worst loss over moves z x R (z on ``price_steps`` even points of [-1, 1]) in
   every scanned vol state, and ``extreme_fraction`` of its worst loss at +/- ``extreme_multiple``
   x R, vol flat. Segregated loss = the sum over units.
5. Correlated offsets (more than one exposed unit): joint scenarios move every exposed unit u by
   t d_u R_u along directions d on the correlation ellipsoid {d = rho^(1/2) y, |y| <= 1}:
   - each exposed unit a driving: d_u = rho_ua (a moves a full range, the others follow by
     correlation);
   - the linear-worst direction: d = -rho e / sqrt(e' rho e), e_u = R_u x (the unit's linear delta
     + sum of its options' qty x Black-76 delta x spot, vol flat): its delta over a full range.
   t runs over the grid in every vol state (all units in the same state) and over the extremes
   (vol flat, counted at ``extreme_fraction``). The joint loss is the worst of these, capped at
   the segregated loss. A unit is *exposed* when its net linear position or any net option
   contract (identical options netted: same kind, strike and expiry) is not zero; an unexposed unit never drives.
   Coin-margined (inverse) contracts: in USD at the shocked mark (usd_size / entry coins of a linear
   contract), or, under ``inverse_risk_in_coin``, in their coin at today's index: face x spot / mark
   x (1 - 1 / (1 + move)), moves floored at -95 %. Under ``inverse_risk_in_coin`` (each settlement
   currency apart) coin-settled options are worth price(S (1 + move)) / (1 + move) at today's index
   (their exposure is delta x spot - price), and coin balances carry no risk.
6. Add-ons: roll shock (|size in coins| x index x max(floor, annual x years) per perp and future),
   short-option minimum (rate x spot per net short contract, calls and puts netted per
   strike and expiry, as Deribit's Portfolio Margin page does), basis (rate x min(long, short)
   linear USD of the unit), depeg (rate x USD value of each stablecoin holding).
   Maintenance = mm_factor x (loss + add-ons); initial = maintenance x im_multiplier.
"""

from __future__ import annotations

import math

from margin.instruments import Future, InverseFuture, InversePerp, Option, Portfolio, Spot
from margin.market import Market, is_stablecoin
from margin.params import PortfolioParams
from margin.presets import portfolio_params
from margin.pricing import black76_delta, black76_price

#: Below this fraction of the units' summed |exposure|, sqrt(e' rho e) counts as zero: the
#: linear-worst direction shrinks to the centre instead of jumping (continuity in rho and size).
DIRECTION_EPSILON = 1e-9


class _Unit:
    """One underlying and everything on it, valued one scenario at a time (USD)."""

    def __init__(self, asset: str, book: Portfolio, market: Market, params: PortfolioParams) -> None:
        self.asset = asset
        self.spot = float(market.prices[asset])
        self.iv = float(market.vols[asset])
        self.skew, self.curvature = market.smile.get(asset, (0.0, 0.0))
        basis = float(market.basis.get(asset, 0.0))
        floor = params.range_floor(asset)
        responsive = params.range_vol_multiple * self.iv * math.sqrt(params.range_horizon_days / 365.0)
        self.range = min(max(floor, responsive), 0.95)
        exposures = []  # USD per unit relative move, measured in USD
        coin_faces = []  # face x spot / mark of inverse contracts measured in their coin
        self.options = []
        self.roll_shock = 0.0
        floor_rate, annual_rate = params.roll_shock(asset)
        for p in book.positions:
            if p.asset != asset or isinstance(p, (Spot, Option)):
                if isinstance(p, Option) and p.asset == asset:
                    self.options.append(self._option(p, params))
                continue
            days = p.expiry_days if isinstance(p, (Future, InverseFuture)) else 0.0
            growth = math.exp(basis * days / 365.0)  # mark / spot
            rate = max(floor_rate, annual_rate * days / 365.0)
            if isinstance(p, (InversePerp, InverseFuture)):
                self.roll_shock += abs(p.usd_size) / growth * rate
                if params.inverse_risk_in_coin:
                    coin_faces.append(p.usd_size / growth)
                else:  # in USD at the mark, face x (mark / entry - 1): usd_size / entry coins
                    exposures.append(p.usd_size / p.entry_price * growth * self.spot)
            else:
                self.roll_shock += abs(p.qty) * self.spot * rate
                exposures.append(p.qty * growth * self.spot)
        # Each settlement currency apart: a coin balance is the coin account's own currency, riskless there.
        held = book.holdings().get(asset, 0.0) if not params.inverse_risk_in_coin else 0.0
        exposures.append(held * self.spot)
        self.delta = sum(exposures)
        self.inverse_face = sum(coin_faces)
        self.long_linear = sum(e for e in exposures + coin_faces if e > 0)
        self.short_linear = -sum(e for e in exposures + coin_faces if e < 0)
        per_strike: dict[tuple, float] = {}  # Deribit nets calls and puts per strike and expiry
        per_option: dict[tuple, float] = {}  # identical options cancel
        for o in self.options:
            per_strike[(o["strike"], o["days"])] = per_strike.get((o["strike"], o["days"]), 0.0) + o["qty"]
            key = (o["is_call"], o["strike"], o["days"])
            per_option[key] = per_option.get(key, 0.0) + o["qty"]
        self.net_short = sum(max(-q, 0.0) for q in per_strike.values())
        self.exposed = self.delta != 0.0 or self.inverse_face != 0.0 or any(q != 0.0 for q in per_option.values())

    def _option(self, p: Option, params: PortfolioParams) -> dict:
        years = p.expiry_days / 365.0
        dte = max(p.expiry_days, params.min_dte_days)
        power = params.vol_power_short if dte < params.vol_reference_days else params.vol_power_long
        factor = (params.vol_reference_days / dte) ** power
        # The smile: at-the-money vol x clip(1 + skew x + curvature x^2, 0.2, 5), x = ln(K/S) / sqrt(max(T, 1 day)).
        x = math.log(p.strike / self.spot) / math.sqrt(max(years, 1.0 / 365.0))
        iv = self.iv * min(max(1.0 + self.skew * x + self.curvature * x * x, 0.2), 5.0)
        vols = {"up": max(iv * (1 + params.vol_up(self.asset) * factor), params.min_vol_shock_up), "flat": iv,
                "down": iv * max(1 - params.vol_down_shift * factor, 0.05)}
        base = float(black76_price(self.spot, p.strike, iv, years, p.is_call))
        return {"qty": p.qty, "strike": p.strike, "years": years, "days": p.expiry_days, "is_call": p.is_call,
                "iv": iv, "vols": vols, "base": base, "in_coin": p.coin_settled and params.inverse_risk_in_coin}

    def exposure(self) -> float:
        """USD per unit relative move: linear delta plus each option's Black-76 delta x spot (vol flat)."""
        total = self.delta + self.inverse_face
        for o in self.options:
            delta = float(black76_delta(self.spot, o["strike"], o["iv"], o["years"], o["is_call"])) * self.spot
            total += o["qty"] * (delta - o["base"] if o["in_coin"] else delta)
        return total

    def pnl(self, move: float, state: str) -> float:
        """P&L (USD) when the price moves by ``move`` (a fraction; below -100 % counts as -100 %)."""
        move = max(move, -1.0)
        total = self.delta * move
        # An inverse contract's coin P&L at today's index: face x (1 - 1 / (1 + move)), moves floored at -95 %.
        total += self.inverse_face * (1.0 - 1.0 / (1.0 + max(move, -0.95)))
        for o in self.options:
            price = float(black76_price(self.spot * (1 + move), o["strike"], o["vols"][state], o["years"], o["is_call"]))
            if o["in_coin"]:  # worth price / S1 coins, valued at today's index S0
                price /= 1.0 + max(move, -0.95)
            total += o["qty"] * (price - o["base"])
        return total


def _units(book: Portfolio, market: Market, params: PortfolioParams) -> list[_Unit]:
    holdings = book.holdings()
    units = []
    for asset in book.assets():
        has_derivative = any(p.asset == asset and not isinstance(p, Spot) for p in book.positions)
        if has_derivative or (not is_stablecoin(asset) and holdings.get(asset, 0.0) != 0):
            units.append(_Unit(asset, book, market, params))
    return units


def _alone_loss(unit: _Unit, grid: list[float], params: PortfolioParams) -> float:
    worst = 0.0
    for z in grid:
        for state in params.vol_states:
            worst = max(worst, -unit.pnl(z * unit.range, state))
    extreme = 0.0
    for e in (-params.extreme_multiple, params.extreme_multiple):
        extreme = max(extreme, -unit.pnl(e * unit.range, "flat"))
    return max(worst, params.extreme_fraction * extreme)


def joint_directions(units: list[_Unit], rho: list[list[float]]) -> list[list[float]]:
    """The scenario directions of :mod:`margin.reference` step 5, in range units, one per row."""
    n = len(units)
    directions = [[rho[u][a] for u in range(n)] for a in range(n)]
    e = [unit.exposure() * unit.range for unit in units]
    rho_e = [sum(rho[u][v] * e[v] for v in range(n)) for u in range(n)]
    norm = math.sqrt(max(sum(e[u] * rho_e[u] for u in range(n)), 0.0))
    scale = max(norm, DIRECTION_EPSILON * sum(abs(x) for x in e))
    directions.append([-x / scale if scale > 0 else 0.0 for x in rho_e])
    return directions


def _joint_loss(units: list[_Unit], market: Market, grid: list[float], params: PortfolioParams) -> float:
    rho = [[float(market.correlation.loc[a.asset, b.asset]) for b in units] for a in units]
    worst = 0.0
    for d in joint_directions(units, rho):
        for t in grid:
            for state in params.vol_states:
                worst = max(worst, -sum(u.pnl(t * d[i] * u.range, state) for i, u in enumerate(units)))
        for t in (-params.extreme_multiple, params.extreme_multiple):
            loss = -sum(u.pnl(t * d[i] * u.range, "flat") for i, u in enumerate(units))
            worst = max(worst, params.extreme_fraction * loss)
    return worst


def reference_portfolio_margin(book: Portfolio, market: Market, params: PortfolioParams | str | None = None) -> dict:
    """Portfolio margin of ``book`` (USD), the slow way.

    Returns {"maintenance", "initial", "loss" (scenario loss after offsets), "segregated" (sum of
    units alone), "alone" (asset -> loss), "addons"}.
    """
    params = portfolio_params(params)
    steps = params.price_steps
    grid = [-1.0 + 2.0 * i / (steps - 1) for i in range(steps)]
    units = _units(book, market, params)
    alone = {u.asset: _alone_loss(u, grid, params) for u in units}
    segregated = sum(alone.values())
    exposed = [u for u in units if u.exposed]
    loss = segregated
    if params.offsets == "correlated" and len(exposed) > 1:
        loss = min(_joint_loss(exposed, market, grid, params), segregated)
    addons = 0.0
    for unit in units:
        addons += params.short_option_min_rate * unit.spot * unit.net_short
        addons += params.basis_addon_rate * max(min(unit.long_linear, unit.short_linear), 0.0)
        addons += unit.roll_shock
    for asset, qty in book.holdings().items():
        if is_stablecoin(asset) and qty > 0:
            addons += params.depeg_addon_rate * qty * float(market.prices[asset])
    maintenance = params.mm_factor * (loss + addons)
    return {"maintenance": maintenance, "initial": maintenance * params.im_multiplier, "loss": loss,
            "segregated": segregated, "alone": alone, "addons": addons}
