"""Venue instrument names -> the engine's instruments: Deribit, OKX and Binance naming.

:func:`parse_name` reads a name such as ``BTC-27JUN25-100000-C``, ``BTC-USDT-SWAP`` or ``BTCUSD_PERP``
into a :class:`ParsedName` (venue, underlying, perp / future / option, linear or coin-margined, expiry
in calendar days from the market's date, strike); :meth:`ParsedName.position` makes the engine's
position from it. A name that matches no pattern, a date that does not exist, or an expiry before the
market's date raises :class:`~margin.errors.PortfolioError` naming the accepted patterns.

The patterns, as the venues publish them:

* **Deribit** (docs.deribit.com, "Naming", API v2.1.1): future ``BTC-DMMMYY`` (D = day of month, one or
  two digits: ``BTC-5AUG23``, ``BTC-25MAR23``), perpetual ``BTC-PERPETUAL``, option ``BTC-DMMMYY-STRIKE-K``
  (K = C or P, strike in USD; in linear options ``d`` is the decimal point: ``XRP_USDC-30JUN23-0d625-C``).
  ``BTC-PERPETUAL``, ``ETH-PERPETUAL`` and the dated BTC/ETH futures are inverse (coin-margined, sized in
  USD); ``BTC_USDC-PERPETUAL`` and the other ``_USDC`` / ``_USDT`` instruments are linear; BTC and ETH
  options settle in the coin, ``_USDC`` options in USDC. Expiry 08:00 UTC.
* **OKX** (OKX API v5 docs, instrument ID; help "I. Futures contracts", "OKX Options Introduction"):
  perpetual swap ``BTC-USDT-SWAP`` (USDT-margined, linear) and ``BTC-USD-SWAP`` (crypto-margined, inverse,
  face value 100 USD for BTC), expiry futures ``BTC-USD-250627`` / ``BTC-USDT-250627`` (YYMMDD, 08:00 UTC),
  options ``BTC-USD-250627-100000-C`` (settled in the coin, European, 08:00 UTC).
* **Binance** (Binance support "USDⓈ-Margined Futures Contract Specifications", "COIN-Margined Futures
  Contract Specifications", "USDT-Margined Quarterly Contract": "BTCUSDT Quarterly 0326" expires
  2021-03-26 08:00 UTC; Binance Options API ``BTC-200730-9000-C``): USDⓈ-M perpetual ``BTCUSDT`` /
  ``BTCUSDC`` (linear, one contract = one coin), USDⓈ-M quarterly ``BTCUSDT_250627``, COIN-M perpetual
  ``BTCUSD_PERP`` and quarterly ``BTCUSD_250627`` (inverse, contract 100 USD for BTC, 10 USD for altcoins),
  European options ``BTC-250627-100000-C`` (USDT-margined).

Expiries count calendar days from the market's date, taken as 00:00 UTC, to 08:00 UTC of the expiry
date (every venue here expires at 08:00 UTC): a future expiring the day after the market's date is
1.33 days away. A name expiring before the market's date is refused (it has expired).

Deribit's and OKX's BTC/ETH options settle in the coin; the engine prices them as USD-settled options
(:func:`option_position`, the one place that decides, says so in its note).
"""

from __future__ import annotations

import calendar
import datetime
import math
import re
from dataclasses import dataclass

from margin import instruments
from margin.errors import PortfolioError
from margin.instruments import Future, InverseFuture, InversePerp, Option, Perp, check_asset, check_number

#: Whether the engine's Option takes ``settlement="coin"`` (coin-settled options are being added to
#: :mod:`margin.instruments`); until it does, coin-settled options are priced as USD-settled ones.
COIN_SETTLED_OPTIONS = "coin" in getattr(instruments, "SETTLEMENTS", ())

#: Every venue here expires dated contracts at 08:00 UTC; the market's date counts from 00:00 UTC.
EXPIRY_HOUR_UTC = 8
#: Longest name read (a pasted paragraph is no instrument name).
MAX_NAME_CHARS = 40

#: What the message for an unreadable name shows: one line per venue, with examples.
ACCEPTED_PATTERNS = (
    "Deribit: BTC-PERPETUAL, BTC_USDC-PERPETUAL, BTC-27JUN25 (future, day 1 or 2 digits), "
    "BTC-27JUN25-100000-C (option, C or P)",
    "OKX: BTC-USDT-SWAP, BTC-USD-SWAP (coin-margined), BTC-USD-250627 (future, YYMMDD), "
    "BTC-USD-250627-100000-C (option)",
    "Binance: BTCUSDT (USD-M perp), BTCUSDT_250627 (USD-M quarterly), BTCUSD_PERP and BTCUSD_250627 "
    "(COIN-M, coin-margined), BTC-250627-100000-C (option)",
)

_MONTHS = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
_COIN = r"(?P<coin>[A-Z0-9]{1,12})"
_DMY = r"(?P<day>\d{1,2})(?P<month>[A-Z]{3})(?P<year>\d{2})"
_YMD = r"(?P<ymd>\d{6})"
_STRIKE = r"(?P<strike>\d+(?:[.D]\d+)?)"
_CP = r"(?P<cp>[CP])"

#: (venue, pattern, kind, how it settles): "inverse" coin-margined (USD face value), "linear" in a
#: stablecoin, "coin" an option settled in the coin, "stable" an option settled in a stablecoin.
_PATTERNS: tuple[tuple[str, re.Pattern, str, str], ...] = tuple(
    (venue, re.compile(f"^{pattern}$"), kind, settles) for venue, pattern, kind, settles in (
        ("deribit", rf"{_COIN}-PERPETUAL", "perp", "inverse"),
        ("deribit", rf"{_COIN}_(?P<quote>USDC|USDT)-PERPETUAL", "perp", "linear"),
        ("deribit", rf"{_COIN}-{_DMY}", "future", "inverse"),
        ("deribit", rf"{_COIN}_(?P<quote>USDC|USDT)-{_DMY}", "future", "linear"),
        ("deribit", rf"{_COIN}-{_DMY}-{_STRIKE}-{_CP}", "option", "coin"),
        ("deribit", rf"{_COIN}_(?P<quote>USDC|USDT)-{_DMY}-{_STRIKE}-{_CP}", "option", "stable"),
        ("okx", rf"{_COIN}-USD-SWAP", "perp", "inverse"),
        ("okx", rf"{_COIN}-(?P<quote>USDT|USDC)-SWAP", "perp", "linear"),
        ("okx", rf"{_COIN}-USD-{_YMD}", "future", "inverse"),
        ("okx", rf"{_COIN}-(?P<quote>USDT|USDC)-{_YMD}", "future", "linear"),
        ("okx", rf"{_COIN}-USD-{_YMD}-{_STRIKE}-{_CP}", "option", "coin"),
        ("binance", rf"{_COIN}USD_PERP", "perp", "inverse"),
        ("binance", rf"{_COIN}USD_{_YMD}", "future", "inverse"),
        ("binance", rf"{_COIN}(?P<quote>USDT|USDC)", "perp", "linear"),
        ("binance", rf"{_COIN}(?P<quote>USDT|USDC)_{_YMD}", "future", "linear"),
        ("binance", rf"{_COIN}-{_YMD}-{_STRIKE}-{_CP}", "option", "stable"),
    )
)

VENUE_TITLES = {"deribit": "Deribit", "okx": "OKX", "binance": "Binance"}


@dataclass(frozen=True)
class ParsedName:
    """What a venue's instrument name says.

    Attributes:
        name: the name as read (upper case). venue: "deribit", "okx" or "binance".
        kind: "perp", "future" or "option". asset: the underlying ticker (BTC).
        inverse: True for a coin-margined perp or future (sized in USD of face value, P&L in the coin).
        settlement: what the contract settles in: the coin (BTC) or a stablecoin (USDT, USDC).
        expiry: the expiry date (None for a perp); expiry_days: calendar days from the market's date
            (00:00 UTC) to 08:00 UTC of that date.
        strike: USD (options); option: "call" or "put" (options).
    """

    name: str
    venue: str
    kind: str
    asset: str
    inverse: bool
    settlement: str
    expiry: datetime.date | None = None
    expiry_days: float | None = None
    strike: float | None = None
    option: str | None = None

    @property
    def coin_settled_option(self) -> bool:
        return self.kind == "option" and self.settlement == self.asset

    @property
    def size_unit(self) -> str:
        """What a size typed for this instrument counts: "USD" (face value) or "coins"."""
        return "USD" if self.inverse else "coins"

    def describe(self) -> str:
        """E.g. 'Deribit BTC coin-margined (inverse) perpetual, sized in USD of face value'."""
        venue = VENUE_TITLES[self.venue]
        if self.kind == "option":
            when = f"expiring {self.expiry:%d %b %Y} ({self.expiry_days:.2f} days)"
            return (f"{venue} {self.asset} {self.strike:,.10g} {self.option} {when}, settled in "
                    f"{self.settlement}, sized in coins")
        margin = "coin-margined (inverse)" if self.inverse else f"{self.settlement}-margined (linear)"
        what = "perpetual" if self.kind == "perp" else \
            f"future expiring {self.expiry:%d %b %Y} ({self.expiry_days:.2f} days)"
        unit = "USD of face value" if self.inverse else "coins"
        return f"{venue} {self.asset} {margin} {what}, sized in {unit}"

    def position(self, size: float, entry_price: float | None = None):
        """The engine position for a signed ``size`` (negative = short): USD of face value for an
        inverse contract, coins otherwise. ``entry_price`` in USD (perps and futures need one; an
        option's is the premium per coin, display only). Returns (position, note) where the note says
        how the engine prices it ("" when exactly as the venue)."""
        size = check_number(size, "size", low=-1e12, high=1e12,
                            fix=f"Use a signed size in {'USD of face value' if self.inverse else 'coins'}.")
        if self.kind == "option":
            return option_position(self, size, entry_price)
        if entry_price is None:
            raise PortfolioError(f"entry: {self.name} needs an entry price in USD.")
        if self.kind == "perp":
            cls = InversePerp if self.inverse else Perp
            return cls(self.asset, size, entry_price), ""
        cls = InverseFuture if self.inverse else Future
        return cls(self.asset, size, entry_price, self.expiry_days), ""


def option_position(parsed: ParsedName, qty: float, entry_price: float | None = None) -> tuple[Option, str]:
    """The one place a venue's option becomes an engine position (switch here when coin-settled options
    land in :mod:`margin.instruments`): ``qty`` coins, signed. Returns (Option, note); the note says
    when a coin-settled option is priced as a USD-settled one (:data:`COIN_SETTLED_OPTIONS` false)."""
    if parsed.coin_settled_option and COIN_SETTLED_OPTIONS:
        return Option(parsed.asset, parsed.option, parsed.strike, parsed.expiry_days, qty, entry_price,
                      settlement="coin"), ""
    position = Option(parsed.asset, parsed.option, parsed.strike, parsed.expiry_days, qty, entry_price)
    note = ""
    if parsed.coin_settled_option:
        note = (f"{parsed.name}: {VENUE_TITLES[parsed.venue]} settles this option in {parsed.asset}; it is priced "
                "here as a USD-settled option (the engine has no coin-settled options yet).")
    return position, note


def _refuse(text: str, why: str) -> PortfolioError:
    patterns = "; ".join(ACCEPTED_PATTERNS)
    return PortfolioError(f"name: {why} Accepted names: {patterns}.")


def _date(match: re.Match, name: str) -> datetime.date:
    """The expiry date a name carries (DMMMYY or YYMMDD); PortfolioError for a date that does not exist."""
    groups = match.groupdict()
    try:
        if groups.get("ymd"):
            ymd = groups["ymd"]
            return datetime.date(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:]))
        month = _MONTHS.get(groups["month"])
        if month is None:
            raise ValueError(f"no month {groups['month']}")
        return datetime.date(2000 + int(groups["year"]), month, int(groups["day"]))
    except ValueError:
        raise _refuse(name, f"{name!r} carries no valid date ({match.group(0)}).") from None


def expiry_days(expiry: datetime.date, as_of: datetime.date, name: str = "") -> float:
    """Calendar days from ``as_of`` (00:00 UTC) to 08:00 UTC on ``expiry``; PortfolioError when it has passed."""
    if expiry < as_of:
        raise PortfolioError(
            f"name: {name or expiry.isoformat()} expired on {expiry:%d %b %Y}, before the market's date "
            f"{as_of:%d %b %Y}; choose a later expiry.")
    return (expiry - as_of).days + EXPIRY_HOUR_UTC / 24.0


def _strike(text: str, name: str) -> float:
    value = float(text.replace("D", "."))  # Deribit's linear options write 0.625 as 0d625
    if not math.isfinite(value) or value <= 0:
        raise _refuse(name, f"{name!r} has a strike of {text}; a strike is a USD price above 0.")
    return value


def parse_name(text: object, as_of: datetime.date) -> ParsedName:
    """Read a Deribit, OKX or Binance instrument name (case and surrounding spaces ignored).

    ``as_of`` is the market's date: expiries count calendar days from it (see the module's docstring).
    Raises PortfolioError naming the accepted patterns when the name matches none, and saying so when
    the date does not exist or has passed.
    """
    if not isinstance(as_of, datetime.date) or isinstance(as_of, datetime.datetime):
        raise PortfolioError(f"as_of: the market's date must be a datetime.date, got {type(as_of).__name__}.")
    if not isinstance(text, str) or not text.strip():
        raise _refuse("", "type an instrument name.")
    name = text.strip().upper()
    if len(name) > MAX_NAME_CHARS:
        raise _refuse(name, f"a name is at most {MAX_NAME_CHARS} characters.")
    for venue, pattern, kind, settles in _PATTERNS:
        match = pattern.match(name)
        if match is None:
            continue
        groups = match.groupdict()
        asset = check_asset(groups["coin"], "name")
        quote = groups.get("quote")
        settlement = {"inverse": asset, "coin": asset}.get(settles) or quote or "USDT"
        expiry = days = strike = option = None
        if kind != "perp":
            expiry = _date(match, name)
            days = expiry_days(expiry, as_of, name)
            if days > 3650:
                raise _refuse(name, f"{name!r} expires more than 10 years after the market's date.")
        if kind == "option":
            strike = _strike(groups["strike"], name)
            option = "call" if groups["cp"] == "C" else "put"
        return ParsedName(name, venue, kind, asset, settles == "inverse", settlement, expiry, days, strike, option)
    raise _refuse(name, f"{name!r} is no Deribit, OKX or Binance instrument name this tool reads.")
