"""Live prices and at-the-money implied volatilities from Deribit's public market data (no keys).

Two parts, kept apart so the tests need no network:

* pure parsers of Deribit's JSON-RPC responses (docs.deribit.com, API v2.1.1):
  :func:`parse_index_price` (``public/get_index_price``: ``result.index_price`` in USD) and
  :func:`parse_atm_vol` (``public/get_book_summary_by_currency`` with ``kind=option``: each option's
  ``mark_iv``, in percent, and ``underlying_price``; the at-the-money volatility is the ``mark_iv`` of the
  option whose strike is nearest its underlying price, in the expiry nearest :data:`TARGET_DAYS`);
* :func:`fetch_snapshot`, which sends those requests with ``urllib`` and a short timeout. It runs only
  when called (the Build page calls it when the user presses "Refresh from exchange"); importing this
  module opens no connection.

A failing or offline request raises :class:`LiveDataError` (a PortfolioError) saying what failed, and
the caller keeps the market it had.
"""

from __future__ import annotations

import datetime
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from margin.errors import PortfolioError
from margin.market import Market
from margin.names import parse_name

#: Deribit's public REST endpoint (JSON-RPC over HTTP GET).
DERIBIT_API = "https://www.deribit.com/api/v2"
#: Seconds a request may take before the refresh gives up (the page must not hang).
TIMEOUT_SECONDS = 5.0
#: Largest response read (an option chain is a few hundred kB).
MAX_RESPONSE_BYTES = 5_000_000
#: The ATM volatility is read in the expiry nearest this many days (a month, like the default vols).
TARGET_DAYS = 30.0
#: Assets whose index Deribit publishes as ``<coin>_usd`` (its ``public/get_index_price`` enum).
DERIBIT_INDICES = ("BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "BCH", "LINK", "TRX", "LTC", "DOT", "AVAX", "UNI")
#: Assets with Deribit options quoted with ``mark_iv`` (coin-settled BTC and ETH options).
DERIBIT_OPTION_CURRENCIES = ("BTC", "ETH")
SOURCE = "Deribit public API (public/get_index_price, public/get_book_summary_by_currency)"


class LiveDataError(PortfolioError):
    """A request failed or a response could not be read; the market is left as it was."""


@dataclass(frozen=True)
class LiveSnapshot:
    """What a refresh brought: USD index prices and annualised ATM vols (fractions) per asset.

    Attributes:
        prices, vols: asset -> value. taken_at: when the responses were read (UTC). source: where from.
        missing: assets asked for that the venue does not quote (they keep the current market's values).
    """

    prices: Mapping[str, float]
    vols: Mapping[str, float]
    taken_at: datetime.datetime
    source: str = SOURCE
    missing: tuple[str, ...] = field(default=())

    @property
    def date(self) -> datetime.date:
        return self.taken_at.date()

    def apply(self, market: Market) -> Market:
        """``market`` with these prices and vols (assets the market lacks are left out)."""
        prices = {a: p for a, p in self.prices.items() if a in market.prices}
        vols = {a: v for a, v in self.vols.items() if a in market.vols}
        return market.with_prices(prices).with_vols(vols)


def _result(payload: object, method: str) -> object:
    if not isinstance(payload, Mapping):
        raise LiveDataError(f"{method}: the response is not a JSON-RPC object.")
    if "error" in payload:
        raise LiveDataError(f"{method}: Deribit answered with an error: {str(payload['error'])[:200]}")
    if "result" not in payload:
        raise LiveDataError(f"{method}: the response has no 'result'.")
    return payload["result"]


def _positive(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise LiveDataError(f"{what}: expected a number above 0, got {str(value)[:40]!r}.")
    return float(value)


def parse_index_price(payload: object) -> float:
    """USD index price from a ``public/get_index_price`` response (``result.index_price``)."""
    result = _result(payload, "public/get_index_price")
    if not isinstance(result, Mapping):
        raise LiveDataError("public/get_index_price: 'result' is not an object.")
    return _positive(result.get("index_price"), "public/get_index_price: index_price")


def parse_atm_vol(payload: object, currency: str) -> float:
    """Annualised ATM implied volatility (a fraction) of ``currency`` from a book summary of its options.

    Among the rows that are options on ``currency`` with a ``mark_iv`` and an ``underlying_price``, the
    expiry whose days from the response's ``creation_timestamp`` are nearest :data:`TARGET_DAYS` is taken,
    and in it the strike nearest the underlying price; its ``mark_iv`` (percent) / 100 is returned.
    Futures and other currencies' rows are ignored. LiveDataError when no option row is usable.
    """
    result = _result(payload, "public/get_book_summary_by_currency")
    if not isinstance(result, list):
        raise LiveDataError("public/get_book_summary_by_currency: 'result' is not a list.")
    candidates = []
    for row in result:
        if not isinstance(row, Mapping):
            continue
        iv, underlying, stamp = row.get("mark_iv"), row.get("underlying_price"), row.get("creation_timestamp")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
                   for v in (iv, underlying, stamp)):
            continue
        taken = datetime.datetime.fromtimestamp(stamp / 1000.0, datetime.UTC).date()
        try:
            parsed = parse_name(str(row.get("instrument_name", "")), taken)
        except PortfolioError:
            continue
        if parsed.kind != "option" or parsed.venue != "deribit" or parsed.asset != currency:
            continue
        candidates.append((abs(parsed.expiry_days - TARGET_DAYS), abs(parsed.strike / underlying - 1.0), float(iv)))
    if not candidates:
        raise LiveDataError(f"public/get_book_summary_by_currency: no {currency} option with a mark_iv and an "
                            "underlying_price in the response.")
    _, _, iv = min(candidates)
    return iv / 100.0


Opener = Callable[..., object]


def _get(method: str, params: Mapping[str, str], opener: Opener, timeout: float) -> object:
    url = f"{DERIBIT_API}/{method}?{urllib.parse.urlencode(params)}"
    try:
        with opener(urllib.request.Request(url, headers={"Accept": "application/json"}), timeout=timeout) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise LiveDataError(f"{method}: Deribit answered HTTP {error.code}.") from None
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        reason = getattr(error, "reason", error)
        raise LiveDataError(f"{method}: no answer from Deribit ({reason}); offline, or the site is unreachable.") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise LiveDataError(f"{method}: the response is larger than {MAX_RESPONSE_BYTES // 1_000_000} MB.")
    try:
        return json.loads(body)
    except ValueError:
        raise LiveDataError(f"{method}: the response is not JSON.") from None


def fetch_snapshot(assets: Iterable[str], *, opener: Opener | None = None,
                   timeout: float = TIMEOUT_SECONDS,
                   now: Callable[[], datetime.datetime] | None = None) -> LiveSnapshot:
    """Index prices (USD) for ``assets`` Deribit publishes an index of, and ATM vols for its option
    currencies among them. Sends HTTP requests: call it only when the user asks.

    ``opener`` defaults to ``urllib.request.urlopen`` (tests pass one serving recorded responses). Raises
    LiveDataError when any request fails or none of ``assets`` is quoted, so nothing is applied in part.
    """
    opener = opener or urllib.request.urlopen
    wanted = list(dict.fromkeys(assets))
    quoted = [a for a in wanted if a in DERIBIT_INDICES]
    if not quoted:
        raise LiveDataError(f"Deribit publishes no index for {', '.join(wanted) or 'these assets'} "
                            f"(it does for {', '.join(DERIBIT_INDICES)}).")
    prices = {a: parse_index_price(_get("public/get_index_price", {"index_name": f"{a.lower()}_usd"}, opener, timeout))
              for a in quoted}
    vols = {a: parse_atm_vol(_get("public/get_book_summary_by_currency", {"currency": a, "kind": "option"},
                                  opener, timeout), a)
            for a in quoted if a in DERIBIT_OPTION_CURRENCIES}
    taken = (now or (lambda: datetime.datetime.now(datetime.UTC)))()
    return LiveSnapshot(prices, vols, taken, SOURCE, tuple(a for a in wanted if a not in quoted))
