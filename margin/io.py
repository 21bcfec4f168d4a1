"""Load, save and share portfolios (and optional market overrides) as JSON.

Schema (``"schema": "margin-lab/portfolio@1"``, optional)::

    {"title": "...", "story": "...",
     "positions": [{"type": "perp", "asset": "BTC", "qty": 1.0, "entry_price": 88000, "leverage": 10},
                   {"type": "future", "asset": "BTC", "qty": -1, "entry_price": 89000, "expiry_days": 90},
                   {"type": "option", "asset": "BTC", "kind": "call", "strike": 100000,
                    "expiry_days": 30, "qty": -1},
                   {"type": "spot", "asset": "ETH", "qty": 5},
                   {"type": "inverse_perp", "asset": "BTC", "usd_size": 10000, "entry_price": 87000}],
     "collateral": {"USDC": 20000},
     "market": {"prices": {"BTC": 90000}, "vols": {"BTC": 0.6},
                "correlation": [["BTC", "ETH", 0.8]], "basis": {"BTC": 0.05},
                "smile": {"BTC": {"skew": -0.1, "curvature": 0.05}}}}

Everything malformed raises :class:`PortfolioError` naming the field (``positions[2].strike``)
and the fix. JSON only: no pickle, no eval. Documents and share tokens are size-capped.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from margin.errors import PortfolioError
from margin.instruments import (
    MAX_POSITIONS,
    Future,
    InverseFuture,
    InversePerp,
    Option,
    Perp,
    Portfolio,
    Spot,
)
from margin.market import Market
from margin.smile import FLAT, check_smile

SCHEMA = "margin-lab/portfolio@1"
#: The fields of a document's optional "market" block.
MARKET_FIELDS = ("prices", "vols", "correlation", "basis", "smile")
MAX_DOCUMENT_BYTES = 1_000_000
MAX_TOKEN_CHARS = 40_000
MAX_DEPTH = 8

_FIELDS = {
    "spot": (Spot, ("asset", "qty"), ()),
    "perp": (Perp, ("asset", "qty", "entry_price"), ("leverage", "isolated_margin")),
    "future": (Future, ("asset", "qty", "entry_price", "expiry_days"), ("leverage", "isolated_margin")),
    "option": (Option, ("asset", "kind", "strike", "expiry_days", "qty"), ("entry_price", "settlement")),
    "inverse_perp": (InversePerp, ("asset", "usd_size", "entry_price"), ("leverage", "isolated_margin")),
    "inverse_future": (InverseFuture, ("asset", "usd_size", "entry_price", "expiry_days"),
                       ("leverage", "isolated_margin")),
}
_TOP_LEVEL = {"schema", "title", "story", "positions", "collateral", "market"}


@dataclass(frozen=True)
class PortfolioDocument:
    """A loaded file: the portfolio and, when the file carried one, its market overrides."""

    portfolio: Portfolio
    market_overrides: Mapping | None = None


def strict_json_hooks(duplicate_fix: str, constant_fix: str) -> dict:
    """Keyword arguments for ``json.loads`` that refuse a key given twice in one object and NaN/Infinity,
    with a PortfolioError ending in ``duplicate_fix`` / ``constant_fix`` (what the user should do)."""

    def reject_duplicates(pairs: list[tuple[str, object]]) -> dict:
        seen: dict = {}
        for key, value in pairs:
            if key in seen:
                raise PortfolioError(f"'{key}': appears twice in the same object; {duplicate_fix}")
            seen[key] = value
        return seen

    def reject_constant(name: str) -> float:
        raise PortfolioError(f"the file contains {name}; {constant_fix}")

    return {"object_pairs_hook": reject_duplicates, "parse_constant": reject_constant}


_STRICT = strict_json_hooks("keep one.", "use a finite number.")


def _depth(value: object, limit: int, level: int = 0) -> None:
    if level > limit:
        raise PortfolioError(f"the document is nested more than {limit} levels deep; this schema is flat.")
    if isinstance(value, dict):
        for item in value.values():
            _depth(item, limit, level + 1)
    elif isinstance(value, list):
        for item in value:
            _depth(item, limit, level + 1)


def parse_json(text: str | bytes) -> object:
    """Parse JSON strictly: size cap, no NaN/Infinity, no duplicate keys, bounded nesting."""
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise PortfolioError(f"the file is larger than {MAX_DOCUMENT_BYTES // 1000} kB; a portfolio is a few kB.")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise PortfolioError("the file is not UTF-8 text; save the portfolio as JSON.") from None
    if len(text) > MAX_DOCUMENT_BYTES:
        raise PortfolioError(f"the document is larger than {MAX_DOCUMENT_BYTES // 1000} kB; a portfolio is a few kB.")
    try:
        data = json.loads(text, **_STRICT)
    except PortfolioError:
        raise
    except RecursionError:
        raise PortfolioError("the document is nested too deeply to be a portfolio.") from None
    except (json.JSONDecodeError, ValueError) as error:
        raise PortfolioError(f"not valid JSON ({error}). Save the portfolio from Margin Lab or fix the syntax.") from None
    _depth(data, MAX_DEPTH)
    return data


def _position(index: int, entry: object):
    where = f"positions[{index}]"
    if not isinstance(entry, Mapping):
        raise PortfolioError(f"{where}: must be an object like {{\"type\": \"perp\", \"asset\": \"BTC\", ...}}.")
    kind = entry.get("type")
    if not isinstance(kind, str) or kind.lower() not in _FIELDS:
        raise PortfolioError(f"{where}.type: must be one of {sorted(_FIELDS)} (got {kind!r}).")
    cls, required, optional = _FIELDS[kind.lower()]
    unknown = sorted(set(entry) - set(required) - set(optional) - {"type"}, key=str)
    if unknown:
        raise PortfolioError(
            f"{where}.{unknown[0]}: unknown field for a {kind.lower()}; expected {', '.join(required + optional)}."
        )
    missing = [name for name in required if name not in entry]
    if missing:
        raise PortfolioError(f"{where}.{missing[0]}: missing; a {kind.lower()} needs {', '.join(required)}.")
    values = {}
    for name in required + optional:
        if name not in entry or entry[name] is None:
            continue
        value = entry[name]
        if name not in ("asset", "kind", "settlement") and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise PortfolioError(f"{where}.{name}: must be a number (got {value!r}).")
        values[name] = value
    try:
        return cls(**values)
    except PortfolioError as error:
        raise PortfolioError(f"{where}.{error}") from None
    except (TypeError, ValueError, OverflowError) as error:
        raise PortfolioError(f"{where}: {error}") from None


def portfolio_from_dict(data: object) -> Portfolio:
    """Build a Portfolio from a parsed document, raising PortfolioError naming any bad field."""
    if not isinstance(data, Mapping):
        raise PortfolioError("the document must be a JSON object with 'positions' and 'collateral'.")
    unknown = sorted(set(data) - _TOP_LEVEL, key=str)
    if unknown:
        raise PortfolioError(f"{unknown[0]}: unknown top-level field; expected {', '.join(sorted(_TOP_LEVEL))}.")
    schema = data.get("schema", SCHEMA)
    if schema != SCHEMA:
        raise PortfolioError(f"schema: expected '{SCHEMA}' (got {schema!r}).")
    positions = data.get("positions", [])
    if not isinstance(positions, list):
        raise PortfolioError("positions: must be a list of position objects.")
    if len(positions) > MAX_POSITIONS:
        raise PortfolioError(f"positions: {len(positions)} positions; at most {MAX_POSITIONS}.")
    collateral = data.get("collateral", {})
    if not isinstance(collateral, Mapping):
        raise PortfolioError("collateral: must be an object like {\"USDC\": 20000}.")
    for asset, amount in collateral.items():
        if isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise PortfolioError(f"collateral['{asset}']: must be a number (got {amount!r}).")
    for name in ("title", "story"):
        if name in data and not isinstance(data[name], str):
            raise PortfolioError(f"{name}: must be text.")
    built = [_position(i, entry) for i, entry in enumerate(positions)]
    return Portfolio(tuple(built), dict(collateral), data.get("title", ""), data.get("story", ""))


def _finite(number: int | float) -> bool:
    """math.isfinite, also for integers too large for a float (10**400 is not a usable number)."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


def _number_map(value: object, field: str) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise PortfolioError(f"market.{field}: must be an object asset -> number.")
    for asset, number in value.items():
        if not isinstance(asset, str):
            raise PortfolioError(f"market.{field}: keys are asset tickers such as \"BTC\" (got {asset!r}).")
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not _finite(number):
            raise PortfolioError(f"market.{field}['{asset}']: must be a finite number (got {number!r}).")
    return dict(value)


def market_overrides_from_dict(data: object) -> dict:
    """Validate the optional "market" block: prices, vols, basis (asset -> number), correlation pairs,
    smile (asset -> {"skew": .., "curvature": ..})."""
    if not isinstance(data, Mapping):
        raise PortfolioError("market: must be an object with prices, vols, correlation, basis or smile.")
    unknown = sorted(set(data) - set(MARKET_FIELDS), key=str)
    if unknown:
        raise PortfolioError(f"market.{unknown[0]}: unknown field; expected {', '.join(MARKET_FIELDS)}.")
    result: dict = {}
    for field in ("prices", "vols", "basis"):
        if field in data:
            result[field] = _number_map(data[field], field)
    if "smile" in data:
        if not isinstance(data["smile"], Mapping):
            raise PortfolioError("market.smile: must be an object such as {\"BTC\": {\"skew\": -0.1, \"curvature\": 0.05}}.")
        result["smile"] = {asset: check_smile(str(asset), value) for asset, value in data["smile"].items()}
    if "correlation" in data:
        pairs = data["correlation"]
        if not isinstance(pairs, list):
            raise PortfolioError("market.correlation: must be a list of [asset, asset, rho] triples.")
        clean = {}
        for i, triple in enumerate(pairs):
            if (not isinstance(triple, list) or len(triple) != 3 or not all(isinstance(t, str) for t in triple[:2])
                    or isinstance(triple[2], bool) or not isinstance(triple[2], (int, float))):
                raise PortfolioError(f"market.correlation[{i}]: must be [\"BTC\", \"ETH\", 0.85].")
            clean[(triple[0], triple[1])] = triple[2]
        result["correlation"] = clean
    return result


def apply_market_overrides(base: Market, overrides: Mapping | None) -> Market:
    """A new Market: ``base`` with the document's prices, vols, correlations and basis on top."""
    if not isinstance(base, Market):
        raise PortfolioError(f"market: expected a Market, got {type(base).__name__}.")
    if overrides is None:
        return base
    if not isinstance(overrides, Mapping):
        raise PortfolioError("market: the overrides must be a mapping with prices, vols, correlation, basis or smile.")
    unknown = sorted(set(overrides) - set(MARKET_FIELDS), key=str)
    if unknown:
        raise PortfolioError(f"market.{unknown[0]}: unknown field; expected {', '.join(MARKET_FIELDS)}.")
    for name in MARKET_FIELDS:
        if not isinstance(overrides.get(name, {}), Mapping):
            raise PortfolioError(f"market.{name}: must be a mapping (as load_document returns it).")
    if not overrides:
        return base
    prices = {**base.prices, **overrides.get("prices", {})}
    vols = {**base.vols, **overrides.get("vols", {})}
    basis = {**base.basis, **overrides.get("basis", {})}
    smile = {**base.smile, **overrides.get("smile", {})}
    correlation = {}
    frame = base.correlation
    assets = list(frame.index)
    for i, a in enumerate(assets):
        for b in assets[i + 1 :]:
            correlation[(a, b)] = float(frame.loc[a, b])
    for (a, b), rho in overrides.get("correlation", {}).items():
        correlation.pop((b, a), None)
        correlation[(a, b)] = rho
    return Market(prices, vols, correlation, basis, smile)


def load_document(source: object) -> PortfolioDocument:
    """Load a portfolio file (path, JSON text, bytes or parsed dict) with its optional market block."""
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith(("{", "["))):
        path = Path(source)
        try:
            if path.stat().st_size > MAX_DOCUMENT_BYTES:
                raise PortfolioError(f"{path.name}: larger than {MAX_DOCUMENT_BYTES // 1000} kB.")
            data = parse_json(path.read_bytes())
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or error
            raise PortfolioError(f"{str(path)[:80]}: cannot be read ({reason}). Check the file name.") from None
    elif isinstance(source, (str, bytes)):
        data = parse_json(source)
    elif isinstance(source, Mapping):
        _depth(source, MAX_DEPTH)
        data = source
    else:
        raise PortfolioError(f"source: expected a path, JSON text or a dict (got {type(source).__name__}).")
    portfolio = portfolio_from_dict(data)
    market = market_overrides_from_dict(data["market"]) if "market" in data else None
    return PortfolioDocument(portfolio, market)


def load_portfolio(source: object) -> Portfolio:
    """Load a Portfolio from a path, JSON text or parsed dict; PortfolioError names any bad field."""
    return load_document(source).portfolio


def _position_dict(position) -> dict:
    if isinstance(position, Option):
        out = {"type": "option", "asset": position.asset, "kind": position.kind, "strike": position.strike,
               "expiry_days": position.expiry_days, "qty": position.qty}
        if position.entry_price is not None:
            out["entry_price"] = position.entry_price
        if position.coin_settled:
            out["settlement"] = position.settlement
        return out
    if isinstance(position, (Perp, Future, InversePerp, InverseFuture)):
        kind = {Perp: "perp", Future: "future", InversePerp: "inverse_perp", InverseFuture: "inverse_future"}[type(position)]
        size = ("usd_size", position.usd_size) if isinstance(position, (InversePerp, InverseFuture)) else ("qty", position.qty)
        out = {"type": kind, "asset": position.asset, size[0]: size[1], "entry_price": position.entry_price}
        if isinstance(position, (Future, InverseFuture)):
            out["expiry_days"] = position.expiry_days
        for name in ("leverage", "isolated_margin"):
            if getattr(position, name) is not None:
                out[name] = getattr(position, name)
        return out
    return {"type": "spot", "asset": position.asset, "qty": position.qty}


def portfolio_to_dict(portfolio: Portfolio, market_overrides: Mapping | None = None) -> dict:
    """The JSON-ready document for ``portfolio`` (and optional market overrides)."""
    data: dict = {"schema": SCHEMA}
    if portfolio.title:
        data["title"] = portfolio.title
    if portfolio.story:
        data["story"] = portfolio.story
    data["positions"] = [_position_dict(p) for p in portfolio.positions]
    data["collateral"] = dict(portfolio.collateral)
    if market_overrides:
        block = {k: dict(v) for k, v in market_overrides.items() if k in ("prices", "vols", "basis")}
        if "correlation" in market_overrides:
            block["correlation"] = [[a, b, rho] for (a, b), rho in dict(market_overrides["correlation"]).items()]
        if "smile" in market_overrides:
            block["smile"] = {a: {"skew": skew, "curvature": curvature}
                              for a, (skew, curvature) in dict(market_overrides["smile"]).items()}
        data["market"] = block
    return data


def _check_saveable(portfolio: object, overrides: object) -> None:
    """What save_portfolio and share links write: a Portfolio and overrides of the load_document shape."""
    if not isinstance(portfolio, Portfolio):
        raise PortfolioError(f"portfolio: expected a Portfolio, got {type(portfolio).__name__}.")
    if overrides is None:
        return
    if not isinstance(overrides, Mapping):
        raise PortfolioError("market_overrides: must be a mapping with prices, vols, correlation, basis or smile.")
    for name, block in overrides.items():
        if name not in MARKET_FIELDS:
            raise PortfolioError(f"market_overrides: unknown field {name!r}; expected {', '.join(MARKET_FIELDS)}.")
        if not isinstance(block, Mapping):
            raise PortfolioError(f"market_overrides.{name}: must be a mapping (asset -> number, or pair -> rho).")
        if name == "smile":
            for key, value in block.items():
                check_smile(key if isinstance(key, str) else repr(key), value)
            continue
        for key, value in block.items():
            good_key = (isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key)
                        if name == "correlation" else isinstance(key, str))
            if not good_key or isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
                raise PortfolioError(f"market_overrides.{name}[{key!r}]: must be a finite number keyed by "
                                     f"{'a pair of assets' if name == 'correlation' else 'an asset'} (got {value!r}).")


def save_portfolio(portfolio: Portfolio, path: str | Path | None = None, market_overrides: Mapping | None = None) -> str:
    """Serialise to JSON text (and write it to ``path`` when given). Round-trips through load_portfolio."""
    _check_saveable(portfolio, market_overrides)
    if path is not None and not isinstance(path, (str, Path)):
        raise PortfolioError(f"path: must be a file name (text) or None (got {type(path).__name__}).")
    text = json.dumps(portfolio_to_dict(portfolio, market_overrides), indent=2)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def market_overrides(base: Market, market: Market) -> dict:
    """The difference between ``market`` and ``base`` as an overrides block (for files and URLs)."""
    for name, value in (("base", base), ("market", market)):
        if not isinstance(value, Market):
            raise PortfolioError(f"{name}: expected a Market, got {type(value).__name__}.")
    out: dict = {}
    prices = {a: p for a, p in market.prices.items() if base.prices.get(a) != p}
    vols = {a: v for a, v in market.vols.items() if base.vols.get(a) != v}
    basis = {a: b for a, b in market.basis.items() if base.basis.get(a, 0.0) != b}
    smile = {a: market.smile.get(a, FLAT) for a in {*market.smile, *base.smile}
             if a in market.prices and market.smile.get(a, FLAT) != base.smile.get(a, FLAT)}
    assets = market.assets
    in_base = set(base.assets)
    known = [a for a in assets if a in in_base]
    old = np.eye(len(assets))  # assets the base market lacks are uncorrelated there
    where = [assets.index(a) for a in known]
    old[np.ix_(where, where)] = base.correlation_array(known)
    new = market.correlation_array(assets)
    upper_i, upper_j = np.triu_indices(len(assets), k=1)
    changed = new[upper_i, upper_j] != old[upper_i, upper_j]
    pairs = {(assets[i], assets[j]): float(new[i, j]) for i, j in zip(upper_i[changed], upper_j[changed], strict=True)}
    for name, value in (("prices", prices), ("vols", vols), ("basis", basis), ("correlation", pairs),
                        ("smile", dict(sorted(smile.items())))):
        if value:
            out[name] = value
    return out


def encode_share_token(portfolio: Portfolio, overrides: Mapping | None = None) -> str:
    """A compact URL-safe token (base64 of deflated JSON) that restores the book and market."""
    _check_saveable(portfolio, overrides)
    text = json.dumps(portfolio_to_dict(portfolio, overrides), separators=(",", ":"))
    return base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii").rstrip("=")


def decode_share_token(token: object) -> PortfolioDocument:
    """Inverse of :func:`encode_share_token`; PortfolioError for anything tampered or oversized."""
    if not isinstance(token, str) or not token:
        raise PortfolioError("share link: the 'book' parameter is empty; copy the whole link again.")
    if len(token) > MAX_TOKEN_CHARS:
        raise PortfolioError("share link: the 'book' parameter is too long to be a Margin Lab link.")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        text = inflater.decompress(raw, MAX_DOCUMENT_BYTES)
        if inflater.unconsumed_tail:
            raise PortfolioError("share link: the book it encodes is too large.")
    except (binascii.Error, ValueError, zlib.error):
        raise PortfolioError("share link: the 'book' parameter is damaged; copy the whole link again.") from None
    return load_document(text)
