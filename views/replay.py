"""The crash replay, in words: one reading per day, the episode's outcome, and what the replay
assumed, each sentence generated from the numbers of a :func:`margin.replay.replay` frame. Pure; no
streamlit.

Money is USD; moves and volatilities are fractions (shown as %).
"""

from __future__ import annotations

import pandas as pd

from margin.market import is_stablecoin
from views.text import money, percent, price

MODES = ("cross", "portfolio")
MODE_WORDS = {"cross": "cross margin", "portfolio": "portfolio margin"}
#: Equity under the two modes differs only by haircuts: below this (USD) it is one number.
_SAME_EQUITY = 0.5


def day_label(date: pd.Timestamp, day: int) -> str:
    """'12 Mar 2020 (day 7)'."""
    return f"{date.day} {date:%b %Y} (day {day})"


def lead_asset(frame: pd.DataFrame) -> str | None:
    """The asset a reading leads with: BTC when the book holds it, else the book's first asset whose
    closes the history holds, else its first non-stablecoin asset (moved by beta)."""
    assets = [c.removeprefix("price_") for c in frame.columns if c.startswith("price_")]
    moving = [a for a in assets if not is_stablecoin(a)]
    in_path = [a for a in moving if a in frame.attrs.get("from_path", {})]
    if "BTC" in in_path:
        return "BTC"
    return (in_path or moving or [None])[0]


#: Other coins a day's reading names beside the lead one.
_MAX_OTHERS = 3


def _moving(frame: pd.DataFrame) -> list[str]:
    """The book's non-stablecoin assets, in the frame's order."""
    return [c.removeprefix("price_") for c in frame.columns if c.startswith("price_")
            and not is_stablecoin(c.removeprefix("price_"))]


def _mode_state(frame: pd.DataFrame, i: int, mode: str) -> str:
    row = frame.iloc[i]
    equity, maintenance, initial = (float(row[f"{k}_{mode}"]) for k in ("equity", "maintenance", "initial"))
    day = frame.attrs.get("liquidation_day", {}).get(mode)
    words = f"{MODE_WORDS[mode]} asks {money(maintenance)} to stay open"
    if day is not None and frame.index[i] == day:
        return words + ": equity is below it, liquidated today"
    if day is not None and frame.index[i] > day:
        return words + f" (liquidated on {day_label(day, int(frame.loc[day, 'day']))}; the book is shown as held)"
    if equity < initial:
        return words + f", margin call: equity is below the {money(initial)} initial margin"
    return words + f" ({money(equity - maintenance)} to spare)"


def day_reading(frame: pd.DataFrame, i: int) -> str:
    """One sentence on replayed day ``i`` (0-based row): the lead asset's close and moves, its EWMA
    volatility, equity, and each mode's maintenance with its call or liquidation."""
    row = frame.iloc[i]
    date = frame.index[i]
    lead = lead_asset(frame)
    parts = [day_label(date, int(row["day"]))]
    if lead is not None:
        first = float(frame[f"price_{lead}"].iloc[0])
        now = float(row[f"price_{lead}"])
        move = f"{lead} {price(now)}"
        if i > 0:
            before = float(frame[f"price_{lead}"].iloc[i - 1])
            move += f", {percent(now / before - 1, signed=True)} on the day, {percent(now / first - 1, signed=True)} since day 0"
        move += f"; EWMA volatility {percent(float(row[f'vol_{lead}']), 0)}"
        if i > 0:  # the book's other coins move too: name them, so the day's equity change has its causes
            others = [a for a in _moving(frame) if a != lead][:_MAX_OTHERS]
            moves = [f"{a} {percent(float(row[f'price_{a}']) / float(frame[f'price_{a}'].iloc[i - 1]) - 1, signed=True)}"
                     for a in others]
            if moves:
                move += f"; on the day {', '.join(moves)}"
        parts.append(move)
    equity_cross, equity_portfolio = float(row["equity_cross"]), float(row["equity_portfolio"])
    moved = 0.0 if i == 0 else equity_cross - float(frame["equity_cross"].iloc[i - 1])
    change = "" if i == 0 else f", {'+' if moved >= 0 else '−'}{money(abs(moved))} on the day"
    if abs(equity_cross - equity_portfolio) > _SAME_EQUITY:
        parts.append(f"equity {money(equity_cross)}{change} (after portfolio haircuts {money(equity_portfolio)})")
    else:
        parts.append(f"equity {money(equity_cross)}{change}")
    head = ": ".join(parts[:2]) if len(parts) > 2 else parts[0]
    rest = parts[2:] if len(parts) > 2 else parts[1:]
    states = "; ".join(_mode_state(frame, i, mode) for mode in MODES)
    return f"{head}. {rest[0][0].upper()}{rest[0][1:]}; {states}."


def _at_liquidation(frame: pd.DataFrame, mode: str, day: pd.Timestamp) -> str:
    """'on 8 Mar 2020 (day 3), equity $10,592 against maintenance $12,769'."""
    return (f"on {day_label(day, int(frame.loc[day, 'day']))}, equity {money(float(frame.loc[day, f'equity_{mode}']))} "
            f"against maintenance {money(float(frame.loc[day, f'maintenance_{mode}']))}")


def _thinnest(frame: pd.DataFrame, mode: str) -> str:
    """'$1,234 to spare at the least, on 12 Mar 2020 (day 7)': the mode's smallest excess of equity over
    maintenance over the replay."""
    spare = frame[f"equity_{mode}"] - frame[f"maintenance_{mode}"]
    day = spare.idxmin()
    return f"{money(float(spare.min()))} to spare at the least, on {day_label(day, int(frame.loc[day, 'day']))}"


def outcome(frame: pd.DataFrame) -> str:
    """Which mode liquidates first over the replay and how many days apart, or that neither does, with
    the numbers of each liquidation day (or of each mode's thinnest day)."""
    days = frame.attrs.get("liquidation_day", {})
    hit = {mode: days.get(mode) for mode in MODES if days.get(mode) is not None}
    last = day_label(frame.index[-1], int(frame["day"].iloc[-1]))
    if not hit:
        return (f"Neither mode liquidates the book up to {last}: cross margin has {_thinnest(frame, 'cross')}, "
                f"portfolio margin {_thinnest(frame, 'portfolio')}.{calls(frame)}")
    if len(hit) == 1:
        (mode, day), = hit.items()
        other = next(m for m in MODES if m != mode)
        return (f"Only {MODE_WORDS[mode]} liquidates the book, {_at_liquidation(frame, mode, day)}; under "
                f"{MODE_WORDS[other]} it survives to {last} ({_thinnest(frame, other)}).")
    cross, portfolio = hit["cross"], hit["portfolio"]
    if cross == portfolio:
        return (f"Both modes liquidate the book on the same day: cross margin {_at_liquidation(frame, 'cross', cross)}, "
                f"portfolio margin with maintenance {money(float(frame.loc[cross, 'maintenance_portfolio']))}.")
    first, second = ("cross", "portfolio") if cross < portfolio else ("portfolio", "cross")
    gap = int(frame.loc[hit[second], "day"]) - int(frame.loc[hit[first], "day"])
    return (f"{MODE_WORDS[first].capitalize()} liquidates the book first, {_at_liquidation(frame, first, hit[first])}; "
            f"{MODE_WORDS[second]} {gap} day{'s' if gap != 1 else ''} after, "
            f"{_at_liquidation(frame, second, hit[second])}.")


def calls(frame: pd.DataFrame) -> str:
    """' Cross margin calls for margin on ...' for each mode that does (equity under its initial
    margin), with the first such day; '' when neither does."""
    found = frame.attrs.get("first_call", {})
    said = [f"{MODE_WORDS[mode]} on {day_label(day, int(frame.loc[day, 'day']))}" for mode in MODES
            if (day := found.get(mode)) is not None]
    if not said:
        return ""
    return f" First margin call (equity short of the initial margin): {' and '.join(said)}."


def range_reading(frame: pd.DataFrame) -> str:
    """How the portfolio scan range of the lead asset moved over the replay (the range answers the EWMA
    volatility where the rule set has a responsive range), or '' without one."""
    lead = lead_asset(frame)
    column = f"range_{lead}"
    if lead is None or column not in frame:
        return ""
    start, widest = float(frame[column].iloc[0]), float(frame[column].max())
    if percent(widest) == percent(start):
        return (f"The portfolio scan range of {lead} stays at ±{percent(start)} throughout: this rule set's "
                "range does not answer volatility, so portfolio maintenance moves only with prices.")
    when = frame[column].idxmax()
    return (f"The portfolio scan range of {lead} widens from ±{percent(start)} on day 0 to ±{percent(widest)} on "
            f"{day_label(when, int(frame.loc[when, 'day']))}, as the EWMA volatility "
            f"goes from {percent(float(frame[f'vol_{lead}'].iloc[0]), 0)} to "
            f"{percent(float(frame.loc[when, f'vol_{lead}']), 0)}.")


def day0_note(frame: pd.DataFrame, today_vols: dict[str, float]) -> str:
    """Day 0's EWMA volatility of the lead asset against today's market volatility, when they differ as
    shown: why day 0's requirements need not be the Compare page's ('' when they agree)."""
    lead = lead_asset(frame)
    if lead is None or lead not in today_vols:
        return ""
    ewma, today = float(frame[f"vol_{lead}"].iloc[0]), float(today_vols[lead])
    if percent(ewma, 0) == percent(today, 0):
        return ""
    return (f"On day 0 {lead}'s volatility is the history's EWMA, {percent(ewma, 0)}, where today's market has "
            f"{percent(today, 0)}: so day 0's requirements can differ from the Compare page's, at the same prices.")


def assumptions(frame: pd.DataFrame) -> str:
    """What the replay did with the book's assets the history lacks, and what it held fixed."""
    attrs = frame.attrs
    words = []
    proxied = attrs.get("proxied", {})
    if proxied:
        anchor = attrs.get("anchor", "BTC")
        names = list(proxied)
        each = ", ".join(f"{asset} {beta:.2f}" for asset, beta in proxied.items())
        one = len(names) == 1
        words.append(f"{' and '.join(names) if len(names) < 3 else ', '.join(names)} "
                     f"{'is' if one else 'are'} not in this history: {'it moves' if one else 'they move'} with "
                     f"{anchor} by {'its' if one else 'their'} correlation-implied beta (β: {each}), "
                     f"{'its' if one else 'their'} volatility scaled with {anchor}'s EWMA volatility.")
    held = attrs.get("held", [])
    if held:
        words.append(f"Held at today's price and volatility: {', '.join(held)}.")
    words.append("Prices move by the history's daily returns from today's prices; volatilities are the EWMA "
                 f"(λ = {attrs.get('lam', 0.94):g}) of the closes up to each day; correlations, the futures basis "
                 "and every expiry are held at today's (options do not age).")
    return " ".join(words)
