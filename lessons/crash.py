"""Lesson: A crash, day by day (``CRASH``): the hedged BTC/ETH pair replayed through real crashes
(:func:`margin.replay.replay` over the bundled episodes). Every sentence that compares numbers is
generated from the replay's numbers, or backed by a claim in ``claims``."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from lessons.claims import claim
from lessons.framework import (
    Context,
    Control,
    Lesson,
    Question,
    Readout,
    Solution,
    Step,
    close,
    which_word,
)
from margin import Market, Portfolio, PortfolioParams
from margin.replay import load_episode, replay
from views import replay as readings
from views import text

SAMPLE = "03_btc_eth_pair.json"
#: The episode the lesson steps through, and the one it asks about last.
EPISODE, SECOND = "covid-2020", "may-2021"
_ITEM, _ = load_episode(EPISODE)
CRASH_DAY = _ITEM.crash_day
LAST_DAY = (_ITEM.end - _ITEM.start).days


@lru_cache(maxsize=64)
def _replayed(book: Portfolio, market: Market, cross: str, portfolio: str | PortfolioParams,
              episode: str) -> pd.DataFrame:
    item, path = load_episode(episode)
    return replay(book, path, market, cross, portfolio, start=item.start, end=item.end)


def frame(ctx: Context, episode: str = EPISODE) -> pd.DataFrame:
    """The replay of the lesson's book over ``episode`` under the context's rule sets (kept once computed)."""
    return _replayed(ctx.book, ctx.market, ctx.cross, ctx.portfolio, episode)


def _crash_rows(ctx: Context) -> tuple[pd.Series, pd.Series]:
    replayed = frame(ctx)
    i = int(replayed.loc[CRASH_DAY, "day"])
    return replayed.iloc[i - 1], replayed.iloc[i]


def _day0_look(ctx: Context) -> str:
    replayed = frame(ctx)
    first = replayed.iloc[0]
    vol, today = float(first["vol_BTC"]), float(ctx.market.vols["BTC"])
    return (f"Open the Replay page on “{_ITEM.title}”. Day 0, {replayed.index[0].day} "
            f"{replayed.index[0]:%b %Y}, starts from today's prices: equity {text.money(float(first['equity_cross']))}, cross maintenance "
            f"{text.money(float(first['maintenance_cross']))}, portfolio maintenance "
            f"{text.money(float(first['maintenance_portfolio']))}. Volatility is the EWMA of the closes up to that day: "
            f"BTC {text.percent(vol, 0)} (today's market says {text.percent(today, 0)}).")


def _crash_why(ctx: Context) -> str:
    before, crash = _crash_rows(ctx)
    move = float(crash["price_BTC"]) / float(before["price_BTC"]) - 1.0
    cross_word = which_word(float(crash["maintenance_cross"]), float(before["maintenance_cross"]), "rises", "falls",
                            "stays put")
    pm_word = which_word(float(crash["maintenance_portfolio"]), float(before["maintenance_portfolio"]), "rises",
                         "falls", "stays put")
    return (f"On {readings.day_label(CRASH_DAY, int(crash['day']))} BTC closes {text.percent(move, signed=True)} on the "
            f"day and its EWMA volatility goes from {text.percent(float(before['vol_BTC']), 0)} to "
            f"{text.percent(float(crash['vol_BTC']), 0)}. Cross maintenance {cross_word} from "
            f"{text.money(float(before['maintenance_cross']))} to {text.money(float(crash['maintenance_cross']))}; "
            f"portfolio maintenance {pm_word} from {text.money(float(before['maintenance_portfolio']))} to "
            f"{text.money(float(crash['maintenance_portfolio']))} under {ctx.portfolio_name}.")


def _range_why(ctx: Context) -> str:
    """Portfolio maintenance as the loss over the scan range, and what the range did over the replay."""
    return f"Portfolio maintenance is the book's loss over its scan range. {readings.range_reading(frame(ctx))}"


def _day_read(ctx: Context, day: float) -> Readout:
    replayed = frame(ctx)
    i = int(min(max(round(day), 0), len(replayed) - 1))
    row = replayed.iloc[i]
    return Readout((("Equity", text.money(float(row["equity_cross"]))),
                    ("Cross maintenance", text.money(float(row["maintenance_cross"]))),
                    ("Portfolio maintenance", text.money(float(row["maintenance_portfolio"])))),
                   readings.day_reading(replayed, i))


def _outcomes(ctx: Context) -> str:
    first = readings.outcome(frame(ctx))
    second_item, _ = load_episode(SECOND)
    second = readings.outcome(frame(ctx, SECOND))
    return f"{_ITEM.title}. {first} {second_item.title}. {second}"


WHICH_ROSE = ("Cross only", "Portfolio only", "Both", "Neither")


def _solve_which_rose(ctx: Context) -> Solution:
    before, crash = _crash_rows(ctx)
    rose = tuple(float(crash[f"maintenance_{m}"]) > float(before[f"maintenance_{m}"])
                 and not close(float(crash[f"maintenance_{m}"]), float(before[f"maintenance_{m}"]),
                               float(before[f"maintenance_{m}"])) for m in ("cross", "portfolio"))
    index = {(True, False): 0, (False, True): 1, (True, True): 2, (False, False): 3}[rose]
    return Solution(_crash_why(ctx), accepted=frozenset({index}))


def _solve_crash_maintenance(ctx: Context) -> Solution:
    _, crash = _crash_rows(ctx)
    return Solution(_crash_why(ctx), value=float(crash["maintenance_portfolio"]))


WHO_FIRST = ("Cross margin", "Portfolio margin", "Both on the same day", "Neither")


def _solve_who_first(ctx: Context) -> Solution:
    replayed = frame(ctx, SECOND)
    days = replayed.attrs["liquidation_day"]
    cross, portfolio = days["cross"], days["portfolio"]
    if cross is None and portfolio is None:
        index = 3
    elif portfolio is None or (cross is not None and cross < portfolio):
        index = 0
    elif cross is None or portfolio < cross:
        index = 1
    else:
        index = 2
    return Solution(readings.outcome(replayed), accepted=frozenset({index}))


_CRASH = f"{CRASH_DAY.day} March {CRASH_DAY.year}"

CRASH = Lesson(
    id="crash-replay",
    title="A crash, day by day",
    sample=SAMPLE,
    summary="Replay the hedged BTC/ETH pair through the crash of March 2020, one day at a time: each close moves "
            "the prices and the EWMA volatility, and both modes price the book again. See which requirement "
            "answers the crash, and on which day each mode would call for margin or liquidate.",
    steps=(
        Step("Day 0 is today",
             look=_day0_look,
             why="A replay asks what the episode would do to this book if it started today: prices move by each "
                 "day's returns from today's prices. A margin call is the day equity no longer covers the initial "
                 "margin; liquidation, the day it no longer covers maintenance.",
             page="pages/replay.py"),
        Step("The crash day",
             look=f"Step the days to {_CRASH} and watch both maintenance lines.",
             move="Move the day.",
             why=_crash_why,
             control=Control("Day of the replay", 0, LAST_DAY, 0, 1, _day_read,  # whole days: an integer slider
                             f"Day 0 is {_ITEM.start:%d %b %Y}; the crash day is day "
                             f"{(CRASH_DAY - _ITEM.start).days}."),
             page="pages/replay.py"),
        Step("Why the two requirements part ways",
             look="Cross maintenance of perps is a share of their notional: it shrinks as prices fall, and "
                  "volatility does not move it.",
             why=_range_why,
             page="pages/replay.py"),
        Step("Who is liquidated",
             look=_outcomes,
             why="Choose another episode on the Replay page (the FTX week, 5 August 2024) or another sample book, "
                 "and play it through.",
             page="pages/replay.py"),
    ),
    questions=(
        Question(f"On {_CRASH}, the crash day, which mode's maintenance is higher than the day before?",
                 _solve_which_rose, options=WHICH_ROSE),
        Question(f"What does portfolio margin ask to keep the pair open on {_CRASH}? (USD)",
                 _solve_crash_maintenance, unit="USD", rel_tol=0.02),
        Question("Over May 2021, which mode liquidates the pair first?", _solve_who_first, options=WHO_FIRST),
    ),
    claims=(
        claim("it shrinks as prices fall", "cross maintenance is lower with BTC and ETH at 60 % of today's prices",
              "compare", a="cross.maintenance@BTC*0.6,ETH*0.6", op="<", b="cross.maintenance"),
        claim("volatility does not move it", "cross maintenance of the pair stays within a cent as every vol is "
              "doubled or quadrupled", "steady", a="cross.maintenance", changes=("vol*2", "vol*4"), within=0.01),
    ),
)
