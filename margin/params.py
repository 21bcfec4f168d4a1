"""Rule-set parameters of the two margin models, as immutable values.

Every number a model uses lives here, so the Learn page can print the formulas with the active
values and a venue preset is only a different instance (see :mod:`margin.presets`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from margin.errors import PortfolioError
from margin.instruments import FrozenMap
from margin.market import is_stablecoin

Tier = tuple  # (notional_floor_usd, maintenance_rate) or (notional_floor_usd, maintenance_rate, deduction_usd)


def _frozen(mapping: Mapping | None) -> FrozenMap:
    return FrozenMap(mapping or {})


def _check_fraction(value: float, name: str, high: float = 1.0) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0 or value > high:
        raise PortfolioError(f"{name}: must be a number between 0 and {high:g} (got {value!r}).")


def resolve_tiers(tiers: tuple) -> tuple[tuple[float, float, float], ...]:
    """Normalise tiers to (floor, rate, deduction) with the continuity rule for missing deductions.

    deduction(n) = deduction(n-1) + floor(n) * (rate(n) - rate(n-1)), deduction(0) = 0 unless
    given. This is the rule Hyperliquid documents for its margin tables and the one Binance's
    published "maintenance amount" column satisfies, so maintenance = notional * rate - deduction
    is continuous in notional.
    """
    resolved: list[tuple[float, float, float]] = []
    previous_floor = -1.0
    for index, tier in enumerate(tiers):
        if not isinstance(tier, (tuple, list)) or len(tier) not in (2, 3):
            raise PortfolioError(
                f"maintenance_tiers[{index}]: must be (notional_floor, rate) or (notional_floor, rate, deduction)."
            )
        floor, rate = float(tier[0]), float(tier[1])
        if not (math.isfinite(floor) and floor >= 0 and floor > previous_floor):
            raise PortfolioError(
                f"maintenance_tiers[{index}]: notional floors must start at 0 and increase (got {tier[0]!r})."
            )
        _check_fraction(rate, f"maintenance_tiers[{index}].rate")
        if index == 0 and floor != 0:
            raise PortfolioError("maintenance_tiers[0]: the first tier must start at notional 0.")
        if len(tier) == 3:
            deduction = float(tier[2])
        elif index == 0:
            deduction = 0.0
        else:
            prev_deduction, prev_rate = resolved[-1][2], resolved[-1][1]
            deduction = prev_deduction + floor * (rate - prev_rate)
        resolved.append((floor, rate, deduction))
        previous_floor = floor
    return tuple(resolved)


@dataclass(frozen=True)
class CrossParams:
    """Cross (and isolated) margin rules: per-position requirements summed, no offsets.

    Attributes:
        name: label shown in the app.
        max_leverage: asset -> maximum leverage (x) at the smallest tier.
        default_max_leverage: for assets not listed.
        maintenance_tiers: asset -> tiers ``(notional_floor_usd, rate[, deduction_usd])``. Without
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
        object.__setattr__(self, "max_leverage", _frozen(self.max_leverage))
        tiers = {asset: resolve_tiers(tuple(t)) for asset, t in dict(self.maintenance_tiers or {}).items()}
        object.__setattr__(self, "maintenance_tiers", _frozen(tiers))
        object.__setattr__(self, "haircuts", _frozen(self.haircuts))
        for asset, lev in {**self.max_leverage, "default": self.default_max_leverage}.items():
            if not isinstance(lev, (int, float)) or not math.isfinite(lev) or not 1 <= lev <= 1000:
                raise PortfolioError(f"max_leverage['{asset}']: must be between 1 and 1000 (got {lev!r}).")
        for asset, cut in {**self.haircuts, "default": self.default_haircut}.items():
            _check_fraction(cut, f"haircuts['{asset}']")
        for name in ("option_initial_base", "option_initial_floor", "option_maintenance_rate",
                     "borrow_initial_rate", "borrow_maintenance_rate"):
            _check_fraction(getattr(self, name), name)

    def asset_max_leverage(self, asset: str) -> float:
        return float(self.max_leverage.get(asset, self.default_max_leverage))

    def tiers_for(self, asset: str) -> tuple[tuple[float, float, float], ...]:
        """Resolved tiers for ``asset``: the table if given, else one tier at 1/(2 x max leverage)."""
        if asset in self.maintenance_tiers:
            return self.maintenance_tiers[asset]
        return ((0.0, 1.0 / (2.0 * self.asset_max_leverage(asset)), 0.0),)

    def haircut(self, asset: str) -> float:
        if asset in self.haircuts:
            return float(self.haircuts[asset])
        return 0.0 if is_stablecoin(asset) else float(self.default_haircut)

    def with_changes(self, **changes) -> CrossParams:
        return replace(self, **changes)


VOL_STATES = ("up", "flat", "down")


@dataclass(frozen=True)
class PortfolioParams:
    """Portfolio (risk-based) margin rules.

    Attributes:
        name: label shown in the app.
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
        offsets: "correlated" (signed joint scenarios across risk units) or "segregated" (sum).
        haircuts, default_haircut: collateral haircuts in equity, as in :class:`CrossParams`.
        source: where the numbers come from.
    """

    name: str = "custom"
    price_range: Mapping[str, float] = field(default_factory=FrozenMap)
    default_price_range: float = 0.20
    range_vol_multiple: float = 4.0
    range_horizon_days: float = 1.0
    price_steps: int = 9
    vol_states: tuple = VOL_STATES
    vol_up_shift: float = 0.5
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
    offsets: str = "correlated"
    haircuts: Mapping[str, float] = field(default_factory=FrozenMap)
    default_haircut: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "price_range", _frozen(self.price_range))
        object.__setattr__(self, "haircuts", _frozen(self.haircuts))
        object.__setattr__(self, "vol_states", tuple(self.vol_states))
        for asset, value in {**self.price_range, "default": self.default_price_range}.items():
            _check_fraction(value, f"price_range['{asset}']", high=0.99)
            if value <= 0:
                raise PortfolioError(f"price_range['{asset}']: must be above 0 (got {value!r}).")
        if not isinstance(self.price_steps, int) or self.price_steps < 3 or self.price_steps % 2 == 0:
            raise PortfolioError(f"price_steps: must be an odd whole number >= 3 (got {self.price_steps!r}).")
        if self.price_steps > 201:
            raise PortfolioError(f"price_steps: at most 201 (got {self.price_steps}).")
        if not self.vol_states or any(s not in VOL_STATES for s in self.vol_states):
            raise PortfolioError(f"vol_states: choose from {VOL_STATES} (got {self.vol_states!r}).")
        if self.offsets not in ("correlated", "segregated"):
            raise PortfolioError(f"offsets: must be 'correlated' or 'segregated' (got {self.offsets!r}).")
        for name in ("extreme_fraction", "short_option_min_rate", "basis_addon_rate", "depeg_addon_rate",
                     "default_haircut", "vol_down_shift"):
            _check_fraction(getattr(self, name), name)
        for name, high in (("vol_up_shift", 10.0), ("vol_power_short", 3.0), ("vol_power_long", 3.0),
                           ("extreme_multiple", 10.0), ("range_vol_multiple", 20.0)):
            _check_fraction(getattr(self, name), name, high=high)
        for name in ("im_multiplier", "range_horizon_days", "vol_reference_days", "min_dte_days"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise PortfolioError(f"{name}: must be a number above 0 (got {value!r}).")
        if self.im_multiplier < 1:
            raise PortfolioError(f"im_multiplier: initial margin cannot be below maintenance (got {self.im_multiplier}).")
        for asset, cut in self.haircuts.items():
            _check_fraction(cut, f"haircuts['{asset}']")

    def range_floor(self, asset: str) -> float:
        return float(self.price_range.get(asset, self.default_price_range))

    def haircut(self, asset: str) -> float:
        if asset in self.haircuts:
            return float(self.haircuts[asset])
        return 0.0 if is_stablecoin(asset) else float(self.default_haircut)

    def with_changes(self, **changes) -> PortfolioParams:
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}
