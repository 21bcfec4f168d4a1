"""The trader's workbench in words and tables: the trade ticket's readings, the greeks table and the
payoff's reading, each sentence generated from the numbers it describes. Pure; no streamlit.

Money is USD (:func:`views.text.money`); a change is "after - before".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from margin.greeks import Greeks
from margin.instruments import INVERSE_TYPES, Option, Spot
from margin.whatif import IncrementalMargin, nearest_liquidation, open_size
from views.text import is_zero, mode_name, money, price, signed_money

MODES = ("cross", "portfolio")

#: The greeks table's columns as the app shows them.
GREEK_LABELS = {"delta_coins": "Delta (coins)", "delta_usd": "Delta (USD)", "gamma": "Gamma (coins per $1)",
                "gamma_usd_1pct": "Gamma (USD delta per +1 %)", "vega_usd": "Vega (USD per vol point)",
                "theta_usd": "Theta (USD per day)"}


def trade_noun(trade) -> str:
    """'this put', 'this perp', 'this inverse future', 'this spot purchase'."""
    if isinstance(trade, Option):
        return f"this {trade.kind}"
    if isinstance(trade, Spot):
        return "this spot purchase" if trade.qty > 0 else "this spot sale"
    return f"this {trade.kind_label}"


def card_delta(change: float) -> str:
    """The text under a ticket card: '+$1,099 with the trade', or 'no change with the trade' when the change
    shows as $0."""
    return "no change with the trade" if is_zero(change) else f"{signed_money(change)} with the trade"


def _moves(change: float) -> tuple[str, float]:
    """('raises' | 'lowers' | 'leaves', |change|) of a change in USD (under half a cent: leaves)."""
    if is_zero(change):
        return "leaves", 0.0
    return ("raises" if change > 0 else "lowers"), abs(change)


def read_requirement_change(result: IncrementalMargin, field: str) -> str:
    """One sentence: what the trade does to ``field`` ("initial" | "maintenance") in both modes,
    with 'but' when the modes move opposite ways."""
    noun = trade_noun(result.trade)
    parts = []
    verbs = []
    for mode in ("portfolio", "cross"):
        verb, amount = _moves(result.change(mode, field))
        verbs.append(verb)
        what = f"{mode} {field} margin"
        parts.append(f"{verb} {what} unchanged" if verb == "leaves" else f"{verb} {what} by {money(amount)}")
    opposite = {verbs[0], verbs[1]} == {"raises", "lowers"}
    joint = " but " if opposite else " and "
    return f"Adding {noun} {parts[0]}{joint}{parts[1]}."


def _liquidation_phrase(mode: str, before: float | None, after: float | None, today: float) -> str:
    name = mode_name(mode)
    if before is None and after is None:
        return f"no price liquidates the account under {name}, before or after"
    if before is None:
        return f"under {name} the trade brings a liquidation price at {price(after)}, where none was"
    if after is None:
        return (f"under {name} the account no longer liquidates at {price(before)}: after the trade no price "
                "liquidates it")
    if math.isclose(before, after, rel_tol=1e-9):
        return f"the {name} liquidation price stays at {price(before)}"
    further = abs(math.log(after / today)) > abs(math.log(before / today))
    return (f"the {name} liquidation price moves from {price(before)} to {price(after)}, "
            f"{'further from' if further else 'closer to'} today's {price(today)}")


def liquidation_pair(result: IncrementalMargin, mode: str, today: float) -> tuple[float | None, float | None]:
    """The nearest liquidation price of the trade's asset before and after, USD (None: none)."""
    return (nearest_liquidation(result.liquidation_before.get(mode, {}), today),
            nearest_liquidation(result.liquidation_after.get(mode, {}), today))


def _already_phrase(mode: str, before: bool, after: bool, after_price: float | None) -> str | None:
    """The phrase for a mode whose account is liquidatable at today's price before or after the trade (its
    "liquidation price" is then today's, which read as "stays at $87,960"); None when it is neither."""
    name = mode_name(mode)
    if before and after:
        return f"under {name} the account is already below maintenance at today's price, before and after the trade"
    if before:
        where = (f"its nearest liquidation price is then {price(after_price)}" if after_price is not None
                 else "no price liquidates it then")
        return f"under {name} the trade lifts the account above maintenance at today's price: {where}"
    if after:
        return f"under {name} the trade would put the account below maintenance at today's price"
    return None


def read_liquidation_change(result: IncrementalMargin, today: float) -> str:
    """One sentence on both modes' nearest liquidation prices of the trade's asset, before and after."""
    if not result.liquidation_before:
        return ""
    phrases, moving = [], False
    for mode in MODES:
        before, after = liquidation_pair(result, mode, today)
        already = _already_phrase(mode, bool(result.liquidation_before.get(mode, {}).get("already")),
                                  bool(result.liquidation_after.get(mode, {}).get("already")), after)
        moving = moving or already is None  # a price the asset would have to move to
        phrases.append(already or _liquidation_phrase(mode, before, after, today))
    text = (f"As {result.asset} moves alone, " if moving else "") + f"{phrases[0]}; {phrases[1]}."
    return text[0].upper() + text[1:]


def _partly(result: IncrementalMargin) -> bool:
    """Whether a closing trade leaves some of the position open."""
    return open_size(result.book_after, result.trade) != 0.0


def read_risk(result: IncrementalMargin) -> str:
    """Whether the trade reduces risk by :attr:`IncrementalMargin.reduces_risk`'s rule, with its numbers,
    and what a venue does with it when equity is below initial margin after it."""
    change = result.change("portfolio", "maintenance")
    delta = (f"the book's {result.asset} delta goes from {result.delta_before:,.4g} to {result.delta_after:,.4g} "
             f"coins")
    short = [mode for mode in MODES if result.free_collateral(mode) < 0]
    if result.reduces_risk and result.closes:
        verb, amount = _moves(change)
        maintenance = ("portfolio maintenance stays put" if verb == "leaves"
                       else f"portfolio maintenance {'falls' if change < 0 else 'rises'} by {money(amount)}")
        text = (f"This trade reduces risk: it closes {'part' if _partly(result) else 'all'} of the book's "
                f"position on the same contract, a reduce-only order, and {maintenance}.")
    elif result.reduces_risk:
        verb, amount = _moves(change)
        maintenance = ("portfolio maintenance stays put" if verb == "leaves"
                       else f"portfolio maintenance falls by {money(amount)}")
        text = f"This trade reduces risk: {maintenance} and {delta}."
    if result.reduces_risk:
        if short:
            text += (f" Equity would still be below initial margin under {' and '.join(mode_name(m) for m in short)} "
                     "after it, yet venues let a risk-reducing order through below initial margin (Deribit, OKX).")
        else:
            text += " Venues let such an order through even when equity is below initial margin."
        return text
    reasons = []
    if change > 1e-6:
        reasons.append(f"portfolio maintenance rises by {money(change, 2 if change < 10 else 0)}")
    if abs(result.delta_after) > abs(result.delta_before):
        reasons.append(f"{delta}, larger in size")
    text = f"This trade adds risk: {' and '.join(reasons)}."
    if short:
        text += (f" Equity would be {money(-result.free_collateral(short[0]))} short of initial margin under "
                 f"{mode_name(short[0])} after it: a venue would refuse it.")
    return text


def read_cost(result: IncrementalMargin) -> str:
    """Where the trade's cash goes: the premium paid or received, or nothing for perps and futures."""
    if is_zero(result.cost):
        return "Opened at today's mark: no cash changes hands, so equity is unchanged."
    side = "pays" if result.cost > 0 else "receives"
    direction = "from" if result.cost > 0 else "into"
    text = (f"The trade {side} {money(abs(result.cost))} at today's mark, {direction} the {result.settled_in} "
            "collateral, so equity is unchanged by the trade itself.")
    if result.book_after.collateral.get(result.settled_in, 0.0) < 0:
        text += (f" The book holds too little {result.settled_in}, so it is borrowed: cross margin charges for "
                 "the borrow.")
    return text


def greeks_table(greeks: Greeks) -> pd.DataFrame:
    """A row per underlying and a last 'Book' row (USD totals; coins of different assets do not add)."""
    units = greeks.units
    frame = pd.DataFrame({"Underlying": units["asset"].tolist(),
                          **{label: units[name].tolist() for name, label in GREEK_LABELS.items()}})
    if len(units) > 0:
        book = {"Underlying": "Book"}
        for name, label in GREEK_LABELS.items():
            book[label] = greeks.book.get(name, np.nan)
        if len(units) == 1:  # one coin: its coins and gamma are the book's too
            book[GREEK_LABELS["delta_coins"]] = float(units["delta_coins"].iloc[0])
            book[GREEK_LABELS["gamma"]] = float(units["gamma"].iloc[0])
        frame = pd.concat([frame, pd.DataFrame([book])], ignore_index=True)
    return frame


def positions_table(greeks: Greeks) -> pd.DataFrame:
    """A row per position (and non-stablecoin collateral balance) with its greeks, labelled."""
    table = greeks.positions
    return pd.DataFrame({"Position": table["position"].tolist(), "Underlying": table["asset"].tolist(),
                         **{label: table[name].tolist() for name, label in GREEK_LABELS.items()}})


def read_greeks(greeks: Greeks) -> str:
    """The book's greeks in one or two sentences: what a 1 % rise, a vol point and a day do."""
    if greeks.units.empty:
        return "The book holds nothing whose value moves with a coin's price: no greeks."
    book = greeks.book
    one_percent = book["delta_usd"] / 100.0
    verb = "gains" if one_percent > 0 else "loses"
    move = (f"If every coin it holds rose 1 %, the book {verb} about {money(abs(one_percent))} from delta"
            if not is_zero(one_percent) else "The book's delta is flat: a 1 % rise of every coin barely moves it")
    gamma = book["gamma_usd_1pct"]
    if not is_zero(gamma):
        # Rises or falls, with both values: "shrinks" once read a dollar delta of -$8,544 going to -$14,366.
        before, after = book["delta_usd"], book["delta_usd"] + gamma
        move += (f", and its dollar delta {'rises' if gamma > 0 else 'falls'} by about {money(abs(gamma))} "
                 f"({'long' if gamma > 0 else 'short'} gamma), from {money(before)} to about {money(after)}"
                 f"{_in_size(before, after)}")
    parts = [move + "."]
    vega, theta = book["vega_usd"], book["theta_usd"]
    if not is_zero(vega) or not is_zero(theta):
        vol = (f"{'gains' if vega > 0 else 'loses'} {money(abs(vega))} per volatility point up"
               if not is_zero(vega) else "does not move with volatility")
        time = (f"{'earns' if theta > 0 else 'loses'} {money(abs(theta))} a day as time passes"
                if not is_zero(theta) else "neither earns nor loses as a day passes")
        parts.append(f"It {vol} and {time}, prices held.")
    return " ".join(parts)


def _in_size(before: float, after: float) -> str:
    """", larger in size" / ", smaller in size" when the dollar delta keeps its sign; "" when it crosses zero."""
    if before * after <= 0 or is_zero(abs(after) - abs(before)):
        return ""
    return ", larger in size" if abs(after) > abs(before) else ", smaller in size"


def break_evens(prices: np.ndarray, pnl: np.ndarray) -> list[float]:
    """Prices (USD) where ``pnl`` crosses zero, by linear interpolation between grid points."""
    prices, pnl = np.asarray(prices, dtype=float), np.asarray(pnl, dtype=float)
    sign = np.sign(pnl)
    found = []
    for i in np.flatnonzero(sign[:-1] * sign[1:] < 0):
        found.append(float(prices[i] - pnl[i] * (prices[i + 1] - prices[i]) / (pnl[i + 1] - pnl[i])))
    return found


def read_payoff(frame: pd.DataFrame, asset: str, today: float, days_ahead: float) -> str:
    """The payoff in words: P&L at today's price now (T+n) and at expiry, the break-evens at expiry,
    and the best and worst P&L at expiry over the plotted prices."""
    prices = frame["price"].to_numpy(dtype=float)
    expiry = frame["pnl_expiry"].to_numpy(dtype=float)
    now = frame["pnl_now"].to_numpy(dtype=float)
    at_today = int(np.argmin(np.abs(prices - today)))
    when = "today" if days_ahead == 0 else f"in {days_ahead:g} day{'s' if days_ahead != 1 else ''}"
    if np.allclose(now, expiry, rtol=0.0, atol=0.5):
        text = (f"At {asset} {price(prices[at_today])} the book's P&L is {money(now[at_today])}, the same at "
                "expiry: nothing in it decays with time.")
    else:
        text = (f"At {asset} {price(prices[at_today])}, the book's P&L {when} is {money(now[at_today])} "
                f"and at expiry {money(expiry[at_today])}.")
    crossings = break_evens(prices, expiry)
    if crossings:
        listed = ", ".join(price(p) for p in crossings[:4])
        text += f" At expiry it breaks even at {asset} {listed}."
    best, worst = int(np.argmax(expiry)), int(np.argmin(expiry))
    if not math.isclose(expiry[best], expiry[worst], abs_tol=0.5):
        text += (f" Over {price(prices[0])} to {price(prices[-1])} its expiry P&L runs from {money(expiry[worst])} "
                 f"({_where(prices, expiry, worst)}) to {money(expiry[best])} ({_where(prices, expiry, best)}).")
    return text


def _where(prices: np.ndarray, values: np.ndarray, index: int) -> str:
    """Where ``values`` takes its value at ``index``: at one price, or over the run of prices around it
    where it stays within $0.50 (a capped payoff is flat past its strike: no single price is its maximum)."""
    level = values[index]
    same = np.abs(values - level) <= max(0.5, 1e-6 * abs(level))
    lo = hi = index
    while lo > 0 and same[lo - 1]:
        lo -= 1
    while hi < len(values) - 1 and same[hi + 1]:
        hi += 1
    if lo == hi:
        return f"at {price(prices[index])}"
    if hi == len(values) - 1:
        return f"from {price(prices[lo])} up"
    if lo == 0:
        return f"up to {price(prices[hi])}"
    return f"from {price(prices[lo])} to {price(prices[hi])}"


def ticket_size_label(kind: str, asset: str) -> str:
    """The size input's label: coins, or USD of face value for inverse contracts."""
    return "Size (USD face value)" if kind.startswith("inverse") else f"Size ({asset})"


def is_inverse(position) -> bool:
    return isinstance(position, INVERSE_TYPES)
