"""Positions from a venue's export: the JSON of Deribit's ``private/get_positions``, OKX's
``GET /api/v5/account/positions`` or Binance's ``GET /fapi/v2|v3/positionRisk``, as a user saves it.

Nothing here goes online: :func:`import_positions` reads bytes the user gives. The whole file is read
or refused: a bad row raises :class:`~margin.errors.PortfolioError` naming the row (counted from 1 in
the file's list) and the venue's field, and no position of the file is returned.

How each venue's row becomes an engine position (instrument names: :mod:`margin.names`):

* **Deribit** (docs.deribit.com, ``private/get_positions``, API v2.1.1): ``size`` is signed; for a
  future or perpetual it counts USD (the face value of an inverse contract, ``BTC-PERPETUAL``), for an
  option coins; a linear ``_USDC`` contract is read from ``size_currency`` (coins). ``direction`` (buy,
  sell, zero) must agree with the sign. ``average_price`` is the USD entry of a future; an option's is
  in the coin, so its USD premium is ``average_price_usd`` when given (display only).
* **OKX** (OKX API v5, Trading account, Get positions): ``pos`` counts contracts, signed in net mode,
  positive with ``posSide`` long/short in long/short mode. OKX's published contract values: coin-margined
  BTC contracts 100 USD, other coins 10 USD (help "I. Futures contracts"); USDT-margined BTC 0.01 BTC,
  ETH 0.1 ETH (same page; other linear contracts are refused, their value is not stored here); options
  BTC 0.01, ETH 0.1 (help "OKX Options Introduction"). ``avgPx`` is the entry (USD for inverse, USDT for
  linear, taken as USD); an option's is in the coin, converted at ``usdPx`` (or ``idxPx``) when given.
  ``MARGIN`` rows (spot margin) hold ``pos`` of ``posCcy`` and owe ``liab`` of ``liabCcy``: two spot
  holdings, the debt a borrow. ``lever`` is the leverage chosen.
* **Binance** (developers.binance.com, USDⓈ-M "Position Information V2/V3"): ``positionAmt`` is signed,
  in coins for USDⓈ-M symbols (``BTCUSDT``); for COIN-M symbols (``BTCUSD_PERP``, from
  ``/dapi/v1/positionRisk``) it counts contracts of 100 USD (BTC) or 10 USD (other coins; Binance
  "COIN-Margined Futures Contract Specifications"). ``entryPrice`` is the entry, ``leverage`` (V2) the
  leverage chosen.

Rows whose size is 0 are skipped (venues list closed positions), and the result says so. Every asset
must have a price in the market. :data:`VENUE_PRESETS` names the rule sets to select for each venue.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from margin.errors import PortfolioError
from margin.instruments import MAX_POSITIONS, Spot, check_asset
from margin.io import strict_json_hooks
from margin.market import Market
from margin.names import VENUE_TITLES, ParsedName, parse_name

#: Largest file read (a few hundred positions are well under it).
MAX_IMPORT_BYTES = 2_000_000

#: (cross preset, portfolio preset) to select for each venue's export; None keeps the one in force.
#: OKX has no cross preset here; Binance no portfolio preset (its uniMMR is a cross model, see presets).
VENUE_PRESETS: dict[str, tuple[str | None, str | None]] = {
    "deribit": ("deribit", "deribit"),
    "okx": (None, "okx"),
    "binance": ("binance", None),
}

#: OKX coin-margined (inverse) contract face value in USD: BTC 100, every other coin 10.
OKX_INVERSE_FACE_USD = {"BTC": 100.0}
OKX_INVERSE_FACE_OTHER_USD = 10.0
#: OKX USDT/USDC-margined contract value in coins, published for BTC and ETH.
OKX_LINEAR_CONTRACT_COINS = {"BTC": 0.01, "ETH": 0.1}
#: OKX option contract multiplier in coins.
OKX_OPTION_CONTRACT_COINS = {"BTC": 0.01, "ETH": 0.1}
#: Binance COIN-M contract size in USD: BTC 100, other coins 10.
BINANCE_COINM_FACE_USD = {"BTC": 100.0}
BINANCE_COINM_FACE_OTHER_USD = 10.0

#: The shapes :func:`detect_venue` recognises, for its message.
SHAPES = ("Deribit: {\"result\": [{\"instrument_name\": ..., \"size\": ...}]} (private/get_positions)",
          "OKX: {\"code\": \"0\", \"data\": [{\"instId\": ..., \"pos\": ...}]} (/api/v5/account/positions)",
          "Binance: [{\"symbol\": ..., \"positionAmt\": ...}] (/fapi/v2 or v3/positionRisk)")


@dataclass(frozen=True)
class ImportResult:
    """A venue export read whole.

    Attributes:
        venue: "deribit", "okx" or "binance". positions: the engine positions, in file order.
        labels: the venue's name of each position (one per position; spot legs of an OKX margin row
            name the pair). notes: how rows were read where the engine departs from the venue (a
            coin-settled option priced as USD-settled, rows of size 0 skipped).
        rows: rows in the file. skipped: rows of size 0. cross_preset, portfolio_preset: the rule sets
            to select (:data:`VENUE_PRESETS`; None keeps the one in force).
    """

    venue: str
    positions: tuple
    labels: tuple[str, ...]
    notes: tuple[str, ...]
    rows: int
    skipped: int
    cross_preset: str | None
    portfolio_preset: str | None

    @property
    def venue_title(self) -> str:
        return VENUE_TITLES[self.venue]


class _RowError(PortfolioError):
    """A row's field is wrong: carries the field, so the caller adds the row number."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")


_STRICT = strict_json_hooks("a venue's export does not.", "a venue's export has finite numbers only.")


def read_json(data: bytes | str) -> object:
    """Strict JSON of an export: size cap, UTF-8, no NaN/Infinity, no duplicate keys."""
    if isinstance(data, bytes):
        if len(data) > MAX_IMPORT_BYTES:
            raise PortfolioError(f"the file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB; a positions export "
                                 "is a few kB.")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PortfolioError("the file is not UTF-8 text; save the venue's JSON response as it came.") from None
    if not isinstance(data, str):
        raise PortfolioError(f"expected the text of a JSON file, got {type(data).__name__}.")
    if len(data) > MAX_IMPORT_BYTES:
        raise PortfolioError(f"the file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB.")
    try:
        return json.loads(data, **_STRICT)
    except PortfolioError:
        raise
    except RecursionError:
        raise PortfolioError("the file is nested too deeply to be a positions export.") from None
    except ValueError as error:
        raise PortfolioError(f"the file is not valid JSON ({error}). Save the venue's response as it came; "
                             "the examples in the venue's docs carry // comments, which JSON does not allow.") from None


def _rows_of(document: object) -> tuple[str, list]:
    """(venue, rows) of an export; PortfolioError naming the shapes read when it is none of them."""
    rows: object = document
    if isinstance(document, Mapping):
        if "error" in document:
            raise PortfolioError(f"the file is an error response, not positions: {str(document['error'])[:200]}")
        if "code" in document and str(document.get("code")) != "0":
            raise PortfolioError(f"the file is an OKX error response (code {document.get('code')}: "
                                 f"{str(document.get('msg', ''))[:200]}), not positions.")
        rows = document.get("result", document.get("data"))
    if isinstance(rows, list) and rows and all(isinstance(row, Mapping) for row in rows):
        first = rows[0]
        if "instrument_name" in first:
            return "deribit", rows
        if "instId" in first:
            return "okx", rows
        if "symbol" in first and "positionAmt" in first:
            return "binance", rows
    if isinstance(rows, list) and not rows:
        raise PortfolioError("the file lists no position (an empty list); nothing to import.")
    raise PortfolioError("the file is no positions export this tool reads. Expected one of: " + "; ".join(SHAPES) + ".")


def detect_venue(document: object) -> str:
    """"deribit", "okx" or "binance" from an export's shape (see :data:`SHAPES`)."""
    return _rows_of(document)[0]


def _number(row: Mapping, field: str, *, required: bool = True) -> float | None:
    """A row's number (venues send numbers or numeric strings); None for a blank optional field."""
    value = row.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _RowError(field, "missing; the venue's export always has it.")
        return None
    if isinstance(value, bool):
        raise _RowError(field, f"must be a number, got {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _RowError(field, f"must be a number, got {str(value)[:40]!r}.") from None
    if not math.isfinite(number):
        raise _RowError(field, f"must be a finite number, got {str(value)[:40]!r}.")
    return number


def _text(row: Mapping, field: str) -> str:
    value = row.get(field)
    if not isinstance(value, str) or not value.strip():
        raise _RowError(field, f"missing or not text (got {str(value)[:40]!r}).")
    return value.strip()


def _name(row: Mapping, field: str, venue: str, as_of: datetime.date) -> ParsedName:
    try:
        parsed = parse_name(_text(row, field), as_of)
    except _RowError:
        raise
    except PortfolioError as error:
        raise _RowError(field, str(error).removeprefix("name: ")) from None
    if parsed.venue != venue:
        raise _RowError(field, f"{parsed.name} is a {VENUE_TITLES[parsed.venue]} name, not {VENUE_TITLES[venue]}'s; "
                               "one file holds one venue's positions.")
    return parsed


def _positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 else None


def _deribit_row(row: Mapping, as_of: datetime.date) -> tuple[list, list[str], str]:
    parsed = _name(row, "instrument_name", "deribit", as_of)
    size = _number(row, "size")
    direction = row.get("direction")
    if direction not in ("buy", "sell", "zero"):
        raise _RowError("direction", f"must be buy, sell or zero, got {str(direction)[:20]!r}.")
    if size == 0 or direction == "zero":
        return [], [], parsed.name
    if (size > 0) != (direction == "buy"):
        raise _RowError("size", f"{size:g} disagrees with direction {direction!r} (a sell is a negative size).")
    if parsed.kind == "option":
        entry = _positive(_number(row, "average_price_usd", required=False))
        position, note = parsed.position(size, entry)
        return [position], [note] if note else [], parsed.name
    if not parsed.inverse:  # linear _USDC contracts: size_currency counts the coins
        coins = _number(row, "size_currency")
        if coins == 0 or (coins > 0) != (size > 0):
            raise _RowError("size_currency", f"{coins:g} disagrees with size {size:g}.")
        size = coins
    entry = _number(row, "average_price")
    if entry <= 0:
        raise _RowError("average_price", f"must be a USD price above 0, got {entry:g}.")
    position, note = parsed.position(size, entry)
    return [position], [note] if note else [], parsed.name


def _okx_row(row: Mapping, as_of: datetime.date) -> tuple[list, list[str], str]:
    inst_type = _text(row, "instType").upper()
    if inst_type == "MARGIN":
        return _okx_margin_row(row)
    if inst_type not in ("SWAP", "FUTURES", "OPTION"):
        raise _RowError("instType", f"{inst_type!r} is not read here (SWAP, FUTURES, OPTION or MARGIN).")
    parsed = _name(row, "instId", "okx", as_of)
    if {"SWAP": "perp", "FUTURES": "future", "OPTION": "option"}[inst_type] != parsed.kind:
        raise _RowError("instType", f"{inst_type} does not match the instrument {parsed.name}.")
    contracts = _number(row, "pos")
    side = row.get("posSide", "net")
    if side not in ("net", "long", "short"):
        raise _RowError("posSide", f"must be net, long or short, got {str(side)[:20]!r}.")
    if contracts == 0:
        return [], [], parsed.name
    if side != "net":
        if contracts < 0:
            raise _RowError("pos", f"is {contracts:g}; in long/short mode pos is positive and posSide gives the side.")
        contracts = contracts if side == "long" else -contracts
    asset = parsed.asset
    if parsed.kind == "option":
        multiplier = OKX_OPTION_CONTRACT_COINS.get(asset)
        if multiplier is None:
            raise _RowError("instId", f"OKX's option contract size for {asset} is not stored here (BTC 0.01, ETH 0.1).")
        premium = _number(row, "avgPx", required=False)
        usd = _positive(_number(row, "usdPx", required=False)) or _positive(_number(row, "idxPx", required=False))
        entry = premium * usd if premium is not None and premium > 0 and usd else None
        position, note = parsed.position(contracts * multiplier, entry)
        return [position], [note] if note else [], parsed.name
    if parsed.inverse:
        size = contracts * OKX_INVERSE_FACE_USD.get(asset, OKX_INVERSE_FACE_OTHER_USD)
    else:
        multiplier = OKX_LINEAR_CONTRACT_COINS.get(asset)
        if multiplier is None:
            raise _RowError("instId", f"OKX's contract value for {parsed.name} is not stored here (BTC 0.01 BTC, ETH "
                                      "0.1 ETH); add the position by hand in coins.")
        size = contracts * multiplier
    entry = _number(row, "avgPx")
    if entry <= 0:
        raise _RowError("avgPx", f"must be a price above 0, got {entry:g}.")
    position, note = parsed.position(size, entry)
    lever = _number(row, "lever", required=False)
    return [_with_leverage(position, lever, "lever")], [note] if note else [], parsed.name


def _okx_margin_row(row: Mapping) -> tuple[list, list[str], str]:
    """A spot-margin row: ``pos`` of ``posCcy`` held, ``liab`` of ``liabCcy`` owed (a borrow)."""
    pair = _text(row, "instId")
    held = check_asset(_text(row, "posCcy"), "posCcy")
    amount = _number(row, "pos")
    legs = [Spot(held, amount)] if amount else []
    liability = _number(row, "liab", required=False)
    if liability:
        owed = check_asset(_text(row, "liabCcy"), "liabCcy")
        legs.append(Spot(owed, -abs(liability)))
    return legs, [], pair


def _binance_row(row: Mapping, as_of: datetime.date) -> tuple[list, list[str], str]:
    parsed = _name(row, "symbol", "binance", as_of)
    amount = _number(row, "positionAmt")
    side = row.get("positionSide", "BOTH")
    if side not in ("BOTH", "LONG", "SHORT"):
        raise _RowError("positionSide", f"must be BOTH, LONG or SHORT, got {str(side)[:20]!r}.")
    if amount == 0:
        return [], [], parsed.name
    if (side == "LONG" and amount < 0) or (side == "SHORT" and amount > 0):
        raise _RowError("positionAmt", f"{amount:g} disagrees with positionSide {side} (a short is negative).")
    if parsed.kind == "option":
        raise _RowError("symbol", f"{parsed.name} is an option; positionRisk lists futures only.")
    size = amount * BINANCE_COINM_FACE_USD.get(parsed.asset, BINANCE_COINM_FACE_OTHER_USD) if parsed.inverse else amount
    entry = _number(row, "entryPrice")
    if entry <= 0:
        raise _RowError("entryPrice", f"must be a price above 0, got {entry:g}.")
    position, note = parsed.position(size, entry)
    return [_with_leverage(position, _number(row, "leverage", required=False), "leverage")], \
        [note] if note else [], parsed.name


def _with_leverage(position, leverage: float | None, field: str):
    if leverage is None:
        return position
    if not 1.0 <= leverage <= 200.0:
        raise _RowError(field, f"{leverage:g}x is outside the 1x to 200x this tool models.")
    return dataclasses.replace(position, leverage=leverage)


_READERS = {"deribit": _deribit_row, "okx": _okx_row, "binance": _binance_row}
_NAME_FIELD = {"deribit": "instrument_name", "okx": "instId", "binance": "symbol"}


def import_positions(data: bytes | str, market: Market, as_of: datetime.date,
                     venue: str | None = None) -> ImportResult:
    """Read a venue's positions export whole (see the module's docstring for each venue's fields).

    Args:
        data: the file's bytes or text. market: every asset must have a price in it.
        as_of: the market's date; expiries count calendar days from it (:func:`margin.names.parse_name`).
        venue: "deribit", "okx" or "binance"; None detects it from the file's shape.

    Raises PortfolioError "Row 2, instId: ..." naming the row (from 1) and the field, or the file's
    problem; nothing of a refused file is returned.
    """
    if not isinstance(market, Market):
        raise PortfolioError(f"market: expected a Market, got {type(market).__name__}.")
    detected, rows = _rows_of(read_json(data))
    if venue is not None and venue != detected:
        if venue not in _READERS:
            raise PortfolioError(f"venue: choose deribit, okx or binance, got {venue!r}.")
        raise PortfolioError(f"the file looks like {VENUE_TITLES[detected]}'s export, not {VENUE_TITLES[venue]}'s.")
    reader = _READERS[detected]
    positions: list = []
    labels: list[str] = []
    notes: list[str] = []
    skipped: list[str] = []
    for number, row in enumerate(rows, start=1):
        try:
            legs, row_notes, label = reader(row, as_of)
            for leg in legs:
                if leg.asset not in market.prices:
                    field = _NAME_FIELD[detected] if not isinstance(leg, Spot) else "posCcy/liabCcy"
                    raise _RowError(field, f"{leg.asset} has no price in the market (priced: "
                                           f"{', '.join(market.assets)}); nothing was imported.")
        except PortfolioError as error:
            raise PortfolioError(f"Row {number}, {error}") from None
        if not legs:
            skipped.append(label)
        positions.extend(legs)
        labels.extend([label] * len(legs))
        notes.extend(row_notes)
    if not positions:
        raise PortfolioError(f"every row of the file has size 0 ({len(rows)} rows); it holds no open position.")
    if len(positions) > MAX_POSITIONS:
        raise PortfolioError(f"the file holds {len(positions)} positions, more than the {MAX_POSITIONS} this tool handles.")
    if skipped:
        notes.append(f"{len(skipped)} row{'s' if len(skipped) > 1 else ''} of size 0 skipped "
                     f"({', '.join(skipped[:5])}{', ...' if len(skipped) > 5 else ''}).")
    cross, portfolio = VENUE_PRESETS[detected]
    return ImportResult(detected, tuple(positions), tuple(labels), tuple(notes), len(rows), len(skipped),
                        cross, portfolio)
