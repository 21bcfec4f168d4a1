"""Rule-set parameters of the two margin models, as immutable values.

Every number a model uses lives here, so the Learn page can print the formulas with the active
values and a venue preset is only a different instance (see :mod:`margin.presets`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

import numpy as np

from margin.errors import PortfolioError
from margin.instruments import FrozenMap
from margin.market import is_stablecoin

Tier = tuple  # (notional_floor_usd, maintenance_rate) or (notional_floor_usd, maintenance_rate, deduction_usd)


def _is_real(value: object) -> bool:
    """A finite real number: not a boolean (True is not 1 here), not text, not NaN or infinite,
    not an integer too large for a float."""
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _show(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _asset_map(mapping: object, name: str, example: str) -> FrozenMap:
    """A mapping asset -> value (None means empty), with text keys, frozen."""
    if mapping is None:
        return FrozenMap()
    if not isinstance(mapping, Mapping):
        raise PortfolioError(f"{name}: give a mapping asset -> value such as {example} (got {_show(mapping)}).")
    for asset in mapping:
        if not isinstance(asset, str) or not asset:
            raise PortfolioError(f"{name}: keys are asset tickers such as 'BTC' (got {_show(asset)}).")
    return FrozenMap(mapping)


def _check_fraction(value: float, name: str, high: float = 1.0) -> None:
    if not _is_real(value) or value < 0 or value > high:
        raise PortfolioError(f"{name}: must be a number between 0 and {high:g} (got {_show(value)}).")


def _check_text(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise PortfolioError(f"{name}: must be text (got {_show(value)}).")


def _tier_number(value: object, name: str, what: str) -> float:
    if not _is_real(value):
        raise PortfolioError(f"{name}: the {what} must be a finite number (got {_show(value)}).")
    return float(value)


def resolve_tiers(tiers: tuple, name: str = "maintenance_tiers") -> tuple[tuple[float, float, float, float], ...]:
    """Normalise tiers to (floor, rate, deduction, max leverage) with the continuity rule for
    missing deductions.

    deduction(n) = deduction(n-1) + floor(n) * (rate(n) - rate(n-1)), deduction(0) = 0 unless
    given. This is the rule Hyperliquid documents for its margin tables and the one Binance's
    published "maintenance amount" column satisfies, so maintenance = notional * rate - deduction
    is continuous in notional. The tier's max leverage is the venue's published figure when given
    (Binance publishes it apart: BTCUSDT's 0.65 % bracket allows 75x, not 1 / (2 x 0.65 %) = 76.9x),
    else 1 / (2 x rate) (Hyperliquid's rule). ``name`` labels the table in messages.
    """
    shape = ("(notional_floor, rate), (notional_floor, rate, deduction) or (notional_floor, rate, deduction, "
             "max_leverage), e.g. (0, 0.0125)")
    if isinstance(tiers, (str, bytes, Mapping)) or not isinstance(tiers, (tuple, list)):
        raise PortfolioError(f"{name}: must be a list of tiers {shape} (got {_show(tiers)}).")
    if not tiers:
        raise PortfolioError(f"{name}: give at least one tier, starting at notional 0, e.g. [(0, 0.0125)].")
    resolved: list[tuple[float, float, float]] = []
    previous_floor = -1.0
    for index, tier in enumerate(tiers):
        where = f"{name}[{index}]"
        if not isinstance(tier, (tuple, list)) or len(tier) not in (2, 3, 4):
            raise PortfolioError(f"{where}: must be {shape} (got {_show(tier)}).")
        floor = _tier_number(tier[0], where, "notional floor (USD)")
        if index == 0 and floor != 0:
            raise PortfolioError(f"{where}: the first tier must start at notional 0 (got {_show(tier[0])}).")
        if floor <= previous_floor:
            raise PortfolioError(
                f"{where}: notional floors must increase; {_show(tier[0])} does not exceed the previous tier's "
                f"{previous_floor:g}. Sort the tiers by floor."
            )
        rate = tier[1]
        _check_fraction(rate, f"{where}.rate")
        rate = float(rate)
        if len(tier) >= 3 and tier[2] is not None:
            deduction = _tier_number(tier[2], where, "deduction (USD)")
        elif index == 0:
            deduction = 0.0
        else:
            prev_deduction, prev_rate = resolved[-1][2], resolved[-1][1]
            deduction = prev_deduction + floor * (rate - prev_rate)
        if len(tier) == 4:
            leverage = _tier_number(tier[3], where, "max leverage (x)")
            if not 1.0 <= leverage <= 1000.0:
                raise PortfolioError(f"{where}: the max leverage must be between 1 and 1000 (got {_show(tier[3])}).")
        else:
            leverage = 1.0 / (2.0 * rate) if rate > 0 else math.inf
        resolved.append((floor, rate, deduction, leverage))
        previous_floor = floor
    return tuple(resolved)


def _check_fields(instance: object, changes: dict) -> None:
    """``with_changes`` names an unknown field instead of raising a bare TypeError."""
    known = [f.name for f in fields(instance)]
    unknown = [name for name in changes if name not in known]
    if unknown:
        raise PortfolioError(f"{unknown[0]}: not a parameter of {type(instance).__name__}; choose from {', '.join(known)}.")


@dataclass(frozen=True)
class CrossParams:
    """Cross (and isolated) margin rules: per-position requirements summed, no offsets.

    Attributes:
        name: the preset's key (menus, share links).
        label: what the app shows for it (a venue and what it follows); "" shows ``name``.
        max_leverage: asset -> maximum leverage (x) at the smallest tier.
        default_max_leverage: for assets not listed.
        maintenance_tiers: asset -> tiers ``(notional_floor_usd, rate[, deduction_usd[, max_leverage]])``. Without
            tiers the rate is 1 / (2 x max leverage) (maintenance = half of initial at max leverage,
            Hyperliquid's rule). The tier's max leverage is 1 / (2 x rate).
        haircuts: asset -> collateral haircut (fraction of value not counted in equity).
        default_haircut: haircut for non-stablecoin assets not listed (stablecoins default to 0).
        option_initial_base, option_initial_floor, option_maintenance_rate: Deribit standard
            margin for short options: IM = max(base - OTM/underlying, floor) x underlying + mark,
            MM = rate x underlying + mark, per contract.
        borrow_initial_rate, borrow_maintenance_rate: margin on borrowed (negative) spot, as a
            fraction of its USD value.
        source: where the numbers come from.
    """

    name: str = "custom"
    label: str = ""
    max_leverage: Mapping[str, float] = field(default_factory=FrozenMap)
    default_max_leverage: float = 10.0
    maintenance_tiers: Mapping[str, tuple] = field(default_factory=FrozenMap)
    haircuts: Mapping[str, float] = field(default_factory=FrozenMap)
    default_haircut: float = 0.0
    option_initial_base: float = 0.15
    option_initial_floor: float = 0.10
    option_maintenance_rate: float = 0.075
    borrow_initial_rate: float = 0.20
    borrow_maintenance_rate: float = 0.10
    source: str = ""

    def __post_init__(self) -> None:
        _check_text(self.name, "name")
        _check_text(self.label, "label")
        _check_text(self.source, "source")
        object.__setattr__(self, "max_leverage", _asset_map(self.max_leverage, "max_leverage", "{'BTC': 40}"))
        tables = _asset_map(self.maintenance_tiers, "maintenance_tiers", "{'BTC': [(0, 0.0125), (150e6, 0.025)]}")
        tiers = {asset: resolve_tiers(t, f"maintenance_tiers['{asset}']") for asset, t in tables.items()}
        object.__setattr__(self, "maintenance_tiers", FrozenMap(tiers))
        object.__setattr__(self, "haircuts", _asset_map(self.haircuts, "haircuts", "{'ETH': 0.05}"))
        for asset, lev in {**self.max_leverage, "default": self.default_max_leverage}.items():
            field_name = "default_max_leverage" if asset == "default" else f"max_leverage['{asset}']"
            if not _is_real(lev) or not 1 <= lev <= 1000:
                raise PortfolioError(f"{field_name}: must be a number between 1 and 1000 (x) (got {_show(lev)}).")
        for asset, cut in {**self.haircuts, "default": self.default_haircut}.items():
            _check_fraction(cut, "default_haircut" if asset == "default" else f"haircuts['{asset}']")
        for name in ("option_initial_base", "option_initial_floor", "option_maintenance_rate",
                     "borrow_initial_rate", "borrow_maintenance_rate"):
            _check_fraction(getattr(self, name), name)

    @property
    def title(self) -> str:
        """The label, or the name when there is none."""
        return self.label or self.name

    def asset_max_leverage(self, asset: str) -> float:
        return float(self.max_leverage.get(asset, self.default_max_leverage))

    def tiers_for(self, asset: str) -> tuple[tuple[float, float, float, float], ...]:
        """Resolved tiers (floor, rate, deduction, max leverage) for ``asset``: the table if given,
        else one tier at rate 1 / (2 x max leverage)."""
        if asset in self.maintenance_tiers:
            return self.maintenance_tiers[asset]
        leverage = self.asset_max_leverage(asset)
        return ((0.0, 1.0 / (2.0 * leverage), 0.0, leverage),)

    def haircut(self, asset: str) -> float:
        if asset in self.haircuts:
            return float(self.haircuts[asset])
        return 0.0 if is_stablecoin(asset) else float(self.default_haircut)

    def with_changes(self, **changes) -> CrossParams:
        _check_fields(self, changes)
        return replace(self, **changes)


VOL_STATES = ("up", "flat", "down")


@dataclass(frozen=True)
class PortfolioParams:
    """Portfolio (risk-based) margin rules.

    Attributes:
        name: the preset's key (menus, share links).
        label: what the app shows for it (a venue and what it follows); "" shows ``name``.
        price_range: asset -> floor of the scan range as a fraction of spot (0.16 = +/-16 %).
        default_price_range: floor for assets not listed.
        range_vol_multiple, range_horizon_days: the range responds to volatility:
            range = max(floor, multiple x vol x sqrt(horizon_days / 365)).
        price_steps: evenly spaced price points from -range to +range (odd, so 0 is included).
        vol_states: which of "up", "flat", "down" the grid scans.
        vol_up_shift, vol_down_shift, vol_power_short, vol_power_long, vol_reference_days:
            vol_up = iv (1 + up (ref/DTE)^p), vol_down = iv (1 - down (ref/DTE)^p), with
            p = power_short when DTE < ref days, power_long otherwise (Deribit's rule).
        min_dte_days: DTE floor in that rule, so an option expiring today gets a finite shock.
        extreme_multiple, extreme_fraction: extreme moves of +/- multiple x range, vol flat, whose
            loss counts at ``extreme_fraction`` (SPAN counts 35 %).
        short_option_min_rate: add-on per short option contract, fraction of the underlying price.
        basis_addon_rate: add-on on dated futures, fraction of |notional| (the basis can move).
        depeg_addon_rate: add-on on stablecoin holdings, fraction of their USD value.
        im_multiplier: initial = maintenance x this.
        mm_factor: maintenance = mm_factor x (scenario loss + add-ons), the "risk-matrix margin"
            (Deribit: 0.8, with initial = the risk-matrix margin, i.e. im_multiplier 1 / 0.8).
        vol_up_by_asset (asset -> fraction): ``vol_up_shift`` for these assets (Deribit: ETH 0.4).
        min_vol_shock_up: the vol-up state's vol is at least this (annualised fraction; Deribit's
            min_volatility_for_shock_up 0.5); 0 sets no floor.
        inverse_risk_in_coin: each settlement currency apart, as Deribit's segregated PM does:
            coin-margined (inverse) contracts and coin-settled options are measured in their coin,
            converted at today's index, and coin balances (collateral and spot), the coin account's
            own currency, carry no price risk there and offset no USD-settled contract; USD-settled
            contracts are measured in USD. False: everything in USD at the shocked price, coin
            balances included. See :mod:`margin.units`.
        roll_shock_floor, roll_shock_annual (asset -> fraction; defaults for other assets): an
            add-on on every perp and future of |size in coins| x index x max(floor, annual x years
            to expiry) (Deribit's roll shock: min_annualised_move, annualised_move_risk).
        offsets: "correlated" (signed joint scenarios across risk units) or "segregated" (sum).
        haircuts, default_haircut: collateral haircuts in equity, as in :class:`CrossParams`.
        source: where the numbers come from.
    """

    name: str = "custom"
    label: str = ""
    price_range: Mapping[str, float] = field(default_factory=FrozenMap)
    default_price_range: float = 0.20
    range_vol_multiple: float = 4.0
    range_horizon_days: float = 1.0
    price_steps: int = 9
    vol_states: tuple = VOL_STATES
    vol_up_shift: float = 0.5
    vol_up_by_asset: Mapping[str, float] = field(default_factory=FrozenMap)
    min_vol_shock_up: float = 0.0
    vol_down_shift: float = 0.25
    vol_power_short: float = 0.3
    vol_power_long: float = 0.13
    vol_reference_days: float = 30.0
    min_dte_days: float = 1.0
    extreme_multiple: float = 2.0
    extreme_fraction: float = 0.35
    short_option_min_rate: float = 0.01
    basis_addon_rate: float = 0.005
    depeg_addon_rate: float = 0.01
    im_multiplier: float = 1.3
    mm_factor: float = 1.0
    inverse_risk_in_coin: bool = False
    roll_shock_floor: Mapping[str, float] = field(default_factory=FrozenMap)
    default_roll_shock_floor: float = 0.0
    roll_shock_annual: Mapping[str, float] = field(default_factory=FrozenMap)
    default_roll_shock_annual: float = 0.0
    offsets: str = "correlated"
    haircuts: Mapping[str, float] = field(default_factory=FrozenMap)
    default_haircut: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        _check_text(self.name, "name")
        _check_text(self.label, "label")
        _check_text(self.source, "source")
        object.__setattr__(self, "price_range", _asset_map(self.price_range, "price_range", "{'BTC': 0.16}"))
        object.__setattr__(self, "haircuts", _asset_map(self.haircuts, "haircuts", "{'ETH': 0.05}"))
        object.__setattr__(self, "vol_up_by_asset", _asset_map(self.vol_up_by_asset, "vol_up_by_asset", "{'ETH': 0.4}"))
        for asset, value in self.vol_up_by_asset.items():
            _check_fraction(value, f"vol_up_by_asset['{asset}']", high=10.0)
        _check_fraction(self.min_vol_shock_up, "min_vol_shock_up", high=10.0)
        for name in ("roll_shock_floor", "roll_shock_annual"):
            object.__setattr__(self, name, _asset_map(getattr(self, name), name, "{'BTC': 0.01}"))
            for asset, value in {**getattr(self, name), "default": getattr(self, f"default_{name}")}.items():
                _check_fraction(value, f"{name}['{asset}']" if asset != "default" else f"default_{name}")
        _check_fraction(self.mm_factor, "mm_factor")
        if self.mm_factor <= 0:
            raise PortfolioError(f"mm_factor: must be above 0, e.g. 0.8 (got {self.mm_factor!r}).")
        if not isinstance(self.inverse_risk_in_coin, (bool, np.bool_)):
            raise PortfolioError(f"inverse_risk_in_coin: must be True or False (got {_show(self.inverse_risk_in_coin)}).")
        states = self.vol_states
        if isinstance(states, (str, bytes, Mapping)) or not isinstance(states, (tuple, list)):
            raise PortfolioError(f"vol_states: give a list such as ['up', 'flat', 'down'] (got {_show(states)}).")
        object.__setattr__(self, "vol_states", tuple(states))
        for asset, value in {**self.price_range, "default": self.default_price_range}.items():
            field_name = "default_price_range" if asset == "default" else f"price_range['{asset}']"
            _check_fraction(value, field_name, high=0.99)
            if value <= 0:
                raise PortfolioError(f"{field_name}: must be above 0, e.g. 0.16 for +/-16 % (got {value!r}).")
        steps = self.price_steps
        if not isinstance(steps, (int, np.integer)) or isinstance(steps, (bool, np.bool_)) or steps < 3 or steps % 2 == 0:
            raise PortfolioError(f"price_steps: must be an odd whole number >= 3, e.g. 9 (got {_show(steps)}).")
        if steps > 201:
            raise PortfolioError(f"price_steps: at most 201 (got {steps}).")
        if not self.vol_states or any(not isinstance(s, str) or s not in VOL_STATES for s in self.vol_states):
            raise PortfolioError(f"vol_states: choose from {VOL_STATES} (got {_show(self.vol_states)}).")
        if len(set(self.vol_states)) != len(self.vol_states):
            raise PortfolioError(f"vol_states: each state once (got {self.vol_states!r}).")
        if not isinstance(self.offsets, str) or self.offsets not in ("correlated", "segregated"):
            raise PortfolioError(f"offsets: must be 'correlated' or 'segregated' (got {_show(self.offsets)}).")
        for name in ("extreme_fraction", "short_option_min_rate", "basis_addon_rate", "depeg_addon_rate",
                     "default_haircut", "vol_down_shift"):
            _check_fraction(getattr(self, name), name)
        for name, high in (("vol_up_shift", 10.0), ("vol_power_short", 3.0), ("vol_power_long", 3.0),
                           ("extreme_multiple", 10.0), ("range_vol_multiple", 20.0)):
            _check_fraction(getattr(self, name), name, high=high)
        for name in ("im_multiplier", "range_horizon_days", "vol_reference_days", "min_dte_days"):
            value = getattr(self, name)
            if not _is_real(value) or value <= 0:
                raise PortfolioError(f"{name}: must be a number above 0 (got {_show(value)}).")
        if self.im_multiplier < 1:
            raise PortfolioError(f"im_multiplier: initial margin cannot be below maintenance (got {self.im_multiplier}).")
        for asset, cut in self.haircuts.items():
            _check_fraction(cut, f"haircuts['{asset}']")

    @property
    def title(self) -> str:
        """The label, or the name when there is none."""
        return self.label or self.name

    def range_floor(self, asset: str) -> float:
        return float(self.price_range.get(asset, self.default_price_range))

    def roll_shock(self, asset: str) -> tuple[float, float]:
        """(floor, annual rate) of the roll-shock add-on for ``asset``, fractions."""
        return (float(self.roll_shock_floor.get(asset, self.default_roll_shock_floor)),
                float(self.roll_shock_annual.get(asset, self.default_roll_shock_annual)))

    def vol_up(self, asset: str) -> float:
        """The vol-up shift for options on ``asset`` (fraction; :func:`margin.units.shocked_vols`)."""
        return float(self.vol_up_by_asset.get(asset, self.vol_up_shift))

    def haircut(self, asset: str) -> float:
        if asset in self.haircuts:
            return float(self.haircuts[asset])
        return 0.0 if is_stablecoin(asset) else float(self.default_haircut)

    def with_changes(self, **changes) -> PortfolioParams:
        _check_fields(self, changes)
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}
