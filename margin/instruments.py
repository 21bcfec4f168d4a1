# Over 400 lines: six position types and the portfolio, each validated field by field.
"""Positions and portfolios: immutable values with validation that names the field and the fix.

Conventions: quantities are signed (negative = short) and counted in units of the underlying
(1.0 BTC perp = exposure to one bitcoin; one option contract = one coin). Prices are USD.
``expiry_days`` counts calendar days; time to expiry in years is ``expiry_days / 365``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from margin.errors import PortfolioError

#: Guard rails against absurd input (typos such as a price typed in satoshis).
MAX_ABS_QTY = 1e9
MAX_PRICE = 1e12
MAX_EXPIRY_DAYS = 3650.0
MAX_LEVERAGE = 200.0
MAX_POSITIONS = 500
MAX_TEXT = 2000
#: How an option settles: in dollars, or in its underlying coin (Deribit's BTC and ETH options).
SETTLEMENTS = ("usd", "coin")
_ASSET_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$")


class FrozenMap(Mapping):
    """A small immutable, hashable, picklable mapping (MappingProxyType cannot be pickled)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping | Iterable = ()) -> None:
        object.__setattr__(self, "_items", dict(items))

    def __getitem__(self, key):
        return self._items[key]

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._items.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __setattr__(self, name, value):
        raise AttributeError("FrozenMap is immutable")

    def __reduce__(self):
        return (FrozenMap, (self._items,))

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"


def check_asset(value: object, field_name: str) -> str:
    if not isinstance(value, str) or not _ASSET_PATTERN.match(value):
        raise PortfolioError(
            f"{field_name}: must be an asset ticker such as 'BTC' (letters and digits, up to 15), got {value!r}."
        )
    return value


def _show(value: object, limit: int = 60) -> str:
    """A short repr for messages (a pasted megabyte must not end up in an error banner)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_number(
    value: object,
    field_name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    allow_zero: bool = True,
    fix: str = "",
) -> float:
    """A finite float within bounds, else PortfolioError naming ``field_name`` and the fix."""
    if isinstance(value, bool) or type(value).__name__ == "bool_" or getattr(value, "ndim", 0) \
            or isinstance(value, complex):
        raise PortfolioError(f"{field_name}: must be a number, got {_show(value)}. {fix}".rstrip())
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise PortfolioError(f"{field_name}: must be a number, got {_show(value)}. {fix}".rstrip()) from None
    if not math.isfinite(number):
        raise PortfolioError(f"{field_name}: must be a finite number, got {value!r}. {fix}".rstrip())
    if not allow_zero and number == 0:
        raise PortfolioError(f"{field_name}: must not be 0. {fix}".rstrip())
    if low is not None and (number < low or (not low_inclusive and number == low)):
        sign = ">=" if low_inclusive else ">"
        raise PortfolioError(f"{field_name}: must be {sign} {low:g}, got {value!r}. {fix}".rstrip())
    if high is not None and number > high:
        raise PortfolioError(f"{field_name}: must be <= {high:g}, got {value!r}. {fix}".rstrip())
    return number


def _qty(value: object) -> float:
    return check_number(
        value, "qty", low=-MAX_ABS_QTY, high=MAX_ABS_QTY, fix="Use a signed size in coins (negative = short)."
    )


def _price(value: object, name: str) -> float:
    return check_number(
        value, name, low=0.0, high=MAX_PRICE, low_inclusive=False, fix="Use a USD price above 0."
    )


def _expiry_days(value: object) -> float:
    return check_number(value, "expiry_days", low=0.0, high=MAX_EXPIRY_DAYS, fix="Use days, 0 to 3650.")


def _set(instance: object, name: str, value: object) -> None:
    object.__setattr__(instance, name, value)


def _validate_linear(position: Perp | Future) -> None:
    """Shared checks of perps and futures (asset, qty, entry price, leverage, isolated margin)."""
    _set(position, "asset", check_asset(position.asset, "asset"))
    _set(position, "qty", _qty(position.qty))
    _validate_entry_and_margin(position)


def _validate_entry_and_margin(position) -> None:
    """Entry price, leverage and isolated margin: the checks every perp and future shares."""
    _set(position, "entry_price", _price(position.entry_price, "entry_price"))
    if position.leverage is not None:
        _set(
            position,
            "leverage",
            check_number(position.leverage, "leverage", low=1.0, high=MAX_LEVERAGE, fix="Use 1 to 200 (x)."),
        )
    if position.isolated_margin is not None:
        _set(
            position,
            "isolated_margin",
            check_number(position.isolated_margin, "isolated_margin", low=0.0, high=MAX_PRICE, fix="Use USD >= 0."),
        )


@dataclass(frozen=True)
class Spot:
    """A spot holding marked at market. Negative qty is a borrow (charged a borrow margin)."""

    asset: str
    qty: float

    def __post_init__(self) -> None:
        _set(self, "asset", check_asset(self.asset, "asset"))
        _set(self, "qty", _qty(self.qty))

    kind_label = "spot"


@dataclass(frozen=True)
class Perp:
    """A perpetual swap, linear in USD.

    Args:
        asset: underlying ticker.
        qty: signed size in coins.
        entry_price: USD price at which the position was opened (sets the unrealised P&L).
        leverage: chosen leverage; None means the rule set's maximum. Sets initial margin only.
        isolated_margin: USD held by the position in isolated mode; None means
            ``|qty| * entry_price / leverage``.
    """

    asset: str
    qty: float
    entry_price: float
    leverage: float | None = None
    isolated_margin: float | None = None

    def __post_init__(self) -> None:
        _validate_linear(self)

    kind_label = "perp"


@dataclass(frozen=True)
class Future:
    """A dated future, linear in USD, marked at ``spot * exp(basis * expiry_days / 365)``.

    Args: as :class:`Perp`, plus ``expiry_days`` (calendar days to expiry, >= 0), which comes
    fourth so ``Future("BTC", 1.0, 88000.0, 90)`` reads naturally.
    """

    asset: str
    qty: float
    entry_price: float
    expiry_days: float
    leverage: float | None = None
    isolated_margin: float | None = None

    def __post_init__(self) -> None:
        _validate_linear(self)
        _set(self, "expiry_days", _expiry_days(self.expiry_days))

    kind_label = "future"


@dataclass(frozen=True)
class Option:
    """A European option on the spot price, one contract = one coin, priced with Black-76 (r = 0).

    Args:
        asset: underlying ticker.
        kind: "call" or "put".
        strike: USD.
        expiry_days: calendar days to expiry (>= 0; 0 means it expires now at intrinsic value).
        qty: signed number of contracts (negative = written/short).
        entry_price: premium per contract in USD, for P&L display only; the premium is assumed
            already settled in collateral.
        settlement: "usd" (settled in dollars) or "coin" (settled in the underlying, as Deribit's BTC
            and ETH options: the payoff max(S - K, 0) / S coins of a call is worth the same dollars,
            so in USD both price alike; a rule set that measures risk in the coin,
            ``inverse_risk_in_coin``, revalues a coin-settled option in the coin).
    """

    asset: str
    kind: str
    strike: float
    expiry_days: float
    qty: float
    entry_price: float | None = None
    settlement: str = "usd"

    def __post_init__(self) -> None:
        _set(self, "asset", check_asset(self.asset, "asset"))
        if not isinstance(self.kind, str) or self.kind.lower() not in ("call", "put"):
            raise PortfolioError(f"kind: must be 'call' or 'put', got {self.kind!r}.")
        _set(self, "kind", self.kind.lower())
        if not isinstance(self.settlement, str) or self.settlement.lower() not in SETTLEMENTS:
            raise PortfolioError(f"settlement: must be 'usd' or 'coin' (settled in the underlying, as Deribit's "
                                 f"BTC options), got {_show(self.settlement)}.")
        _set(self, "settlement", self.settlement.lower())
        _set(self, "strike", _price(self.strike, "strike"))
        _set(self, "expiry_days", _expiry_days(self.expiry_days))
        _set(self, "qty", _qty(self.qty))
        if self.entry_price is not None:
            _set(
                self,
                "entry_price",
                check_number(self.entry_price, "entry_price", low=0.0, high=MAX_PRICE, fix="Use USD >= 0."),
            )

    @property
    def is_call(self) -> bool:
        return self.kind == "call"

    @property
    def coin_settled(self) -> bool:
        return self.settlement == "coin"

    kind_label = "option"


def _validate_inverse(position: InversePerp | InverseFuture) -> None:
    """Shared checks of coin-margined contracts (asset, USD face value, entry, leverage, isolated margin)."""
    _set(position, "asset", check_asset(position.asset, "asset"))
    _set(position, "usd_size", check_number(position.usd_size, "usd_size", low=-MAX_PRICE, high=MAX_PRICE,
                                            fix="Use a signed USD face value (negative = short)."))
    _validate_entry_and_margin(position)


@dataclass(frozen=True)
class InversePerp:
    """A coin-margined (inverse) perpetual: a signed USD face value settled in the coin, as Deribit's
    BTC-PERPETUAL or Binance's COIN-M BTCUSD_PERP.

    P&L in the coin = usd_size x (1/entry_price - 1/mark); in USD at the mark that is
    usd_size x (mark/entry_price - 1), the P&L of ``usd_size / entry_price`` coins of a linear perp.
    Measured in the coin it is concave: a long loses more coin on a fall than it gains on the same rise.

    Args:
        asset: underlying ticker. usd_size: signed face value in USD (negative = short).
        entry_price: USD price at which the position was opened. leverage, isolated_margin: as :class:`Perp`.
    """

    asset: str
    usd_size: float
    entry_price: float
    leverage: float | None = None
    isolated_margin: float | None = None

    def __post_init__(self) -> None:
        _validate_inverse(self)

    @property
    def qty(self) -> float:
        """The coins whose linear P&L in USD equals this contract's: usd_size / entry_price."""
        return self.usd_size / self.entry_price

    kind_label = "inverse perp"


@dataclass(frozen=True)
class InverseFuture:
    """A coin-margined (inverse) dated future, marked at ``spot * exp(basis * expiry_days / 365)``:
    as :class:`InversePerp`, plus ``expiry_days`` (calendar days, >= 0), which comes fourth."""

    asset: str
    usd_size: float
    entry_price: float
    expiry_days: float
    leverage: float | None = None
    isolated_margin: float | None = None

    def __post_init__(self) -> None:
        _validate_inverse(self)
        _set(self, "expiry_days", _expiry_days(self.expiry_days))

    @property
    def qty(self) -> float:
        """The coins whose linear P&L in USD equals this contract's: usd_size / entry_price."""
        return self.usd_size / self.entry_price

    kind_label = "inverse future"


INVERSE_TYPES = (InversePerp, InverseFuture)
Position = Spot | Perp | Future | Option | InversePerp | InverseFuture
POSITION_TYPES = (Spot, Perp, Future, Option, InversePerp, InverseFuture)


def _days(days: float) -> str:
    """Days to expiry for a label: whole days as they are, others to one decimal (185.3d, not 185.333d)."""
    return f"{days:g}d" if float(days).is_integer() else f"{days:.1f}d"


def describe(position: Position, sized: bool = True) -> str:
    """A short human label such as 'Long 1 BTC perp' or 'Short 2 BTC 100,000 call 30d'; with ``sized``
    False, without the size ('Long BTC perp', 'Short BTC 100,000 call 30d')."""
    side = "Long" if position.qty >= 0 else "Short"
    size = f"{abs(position.qty):,.6g} " if sized else ""
    if isinstance(position, Option):
        coin = " coin-settled" if position.coin_settled else ""
        return f"{side} {size}{position.asset} {position.strike:,.6g}{coin} {position.kind} {_days(position.expiry_days)}"
    if isinstance(position, INVERSE_TYPES):
        face = f"${abs(position.usd_size):,.6g} " if sized else ""
        if isinstance(position, InverseFuture):
            return f"{side} {face}{position.asset} inverse future {_days(position.expiry_days)}"
        return f"{side} {face}{position.asset} inverse perp"
    if isinstance(position, Future):
        return f"{side} {size}{position.asset} future {_days(position.expiry_days)}"
    if isinstance(position, Perp):
        return f"{side} {size}{position.asset} perp"
    return f"{'Hold' if position.qty >= 0 else 'Borrow'} {size}{position.asset}"


@dataclass(frozen=True)
class Portfolio:
    """A book: positions (a sequence) plus collateral balances (asset -> amount in coins).

    ``collateral={"ETH": 5}`` means the same as ``Spot("ETH", 5)``. ``title`` and ``story`` are
    optional text for sample books.
    """

    positions: tuple = ()
    collateral: Mapping[str, float] = field(default_factory=FrozenMap)
    title: str = ""
    story: str = ""

    def __post_init__(self) -> None:
        positions = self.positions
        if positions is None:
            positions = ()
        refused = PortfolioError(
            "positions: must be a list of positions (Spot, Perp, Future, Option, InversePerp, InverseFuture).")
        if isinstance(positions, (str, bytes, Mapping)) or not isinstance(positions, Iterable):
            raise refused
        try:
            positions = tuple(positions)
        except TypeError:  # a 0-d array claims to be iterable
            raise refused from None
        if len(positions) > MAX_POSITIONS:
            raise PortfolioError(
                f"positions: {len(positions)} positions is more than the {MAX_POSITIONS} this tool handles; "
                "merge positions on the same instrument."
            )
        for index, position in enumerate(positions):
            if not isinstance(position, POSITION_TYPES):
                raise PortfolioError(
                    f"positions[{index}]: must be a Spot, Perp, Future, Option, InversePerp or InverseFuture, "
                    f"got {type(position).__name__}."
                )
        collateral = self.collateral if self.collateral is not None else {}
        if not isinstance(collateral, Mapping):
            raise PortfolioError("collateral: must be a mapping asset -> amount, e.g. {'USDC': 20000}.")
        clean = {}
        for asset, amount in collateral.items():
            check_asset(asset, f"collateral[{asset!r}]")
            clean[asset] = check_number(
                amount,
                f"collateral['{asset}']",
                low=-MAX_ABS_QTY * 1e3,
                high=MAX_ABS_QTY * 1e3,
                fix="Use an amount in coins (USDC counts in dollars).",
            )
        for name in ("title", "story"):
            text = getattr(self, name)
            if not isinstance(text, str) or len(text) > MAX_TEXT:
                raise PortfolioError(f"{name}: must be text of at most {MAX_TEXT} characters.")
        _set(self, "positions", positions)
        _set(self, "collateral", FrozenMap(clean))

    @property
    def derived(self) -> dict:
        """A cache for what the engine derives from this book alone (its array layout): the book is
        immutable, so it stays valid. Neither compared, nor hashed, nor pickled."""
        return self.__dict__.setdefault("_derived", {})

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_derived", None)
        return state

    def holdings(self) -> dict[str, float]:
        """asset -> net spot amount: collateral plus Spot positions (coins)."""
        totals: dict[str, float] = dict(self.collateral)
        for position in self.positions:
            if isinstance(position, Spot):
                totals[position.asset] = totals.get(position.asset, 0.0) + position.qty
        return totals

    def assets(self) -> list[str]:
        """Every asset the book touches, in first-seen order."""
        seen: dict[str, None] = {}
        for position in self.positions:
            seen.setdefault(position.asset, None)
        for asset in self.collateral:
            seen.setdefault(asset, None)
        return list(seen)

    def derivatives(self) -> list[Perp | Future | Option]:
        return [p for p in self.positions if not isinstance(p, Spot)]

    def replace_position(self, index: int, position: Position) -> Portfolio:
        """A new Portfolio with position ``index`` replaced."""
        count = len(self.positions)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise PortfolioError(
                f"positions[{index!r}]: no such position; the book has {count} "
                f"({'none to replace' if not count else 'numbered 0' if count == 1 else f'numbered 0 to {count - 1}'})."
            )
        positions = list(self.positions)
        positions[index] = position
        return Portfolio(tuple(positions), self.collateral, self.title, self.story)

    def with_positions(self, positions: Iterable[Position]) -> Portfolio:
        return Portfolio(positions, self.collateral, self.title, self.story)  # validates, generators too

    def with_collateral(self, collateral: Mapping[str, float]) -> Portfolio:
        return Portfolio(self.positions, collateral, self.title, self.story)

    @property
    def is_empty(self) -> bool:
        return not self.positions and not any(self.collateral.values())
