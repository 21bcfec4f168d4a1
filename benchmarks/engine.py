"""Time the engine against its arithmetic floor and print a table.

For books of 10, 60 and 300 positions over 3 and 10 assets it times (median of repeated runs)
cross_margin, portfolio_margin, value_at_risk (delta-normal and Monte Carlo) and a 10 x 11
shock_sweep, and beside them the floor: a bare NumPy revaluation of the same positions over the
same scenarios (every move the portfolio-margin grid and its joint scenarios need, for every vol
state), with no bookkeeping at all.

Targets (issue "Speed"): portfolio margin within 3x the floor; the sweep under 0.3x the time of
110 separate calls; cost growing about linearly with positions.

Then the liquidation search on the 200-position, 10-asset book of issue 21 (portfolio and cross,
BTC, which no price liquidates under portfolio margin, and ETH, which does), and the guards issue
21 keeps: portfolio margin on the 60-position books and their 10 x 11 sweeps (a change that loses
more than 20 % on them needs a reason in its commit).

The process keeps freed memory for reuse, as the dashboard's server does
(:func:`margin.runtime.keep_freed_memory`); ``--plain-malloc`` times it with glibc's defaults.

Run: python benchmarks/engine.py [--quick] [--plain-malloc]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from margin import (  # noqa: E402
    Future,
    Option,
    Perp,
    Portfolio,
    Spot,
    cross_margin,
    default_market,
    liquidation_price,
    portfolio_margin,
    shock_sweep,
    value_at_risk,
)
from margin.book import book_arrays, market_vectors  # noqa: E402
from margin.presets import CLASSROOM_PM  # noqa: E402
from margin.pricing import Black76Revaluer  # noqa: E402
from margin.runtime import keep_freed_memory  # noqa: E402
from margin.units import unit_set  # noqa: E402

ASSET_SETS = {3: ["BTC", "ETH", "SOL"],
              10: ["BTC", "ETH", "SOL", "XRP", "BNB", "DOGE", "ADA", "LINK", "BCH", "HYPE"]}
VOL_MULTS = [1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0]
CORR_SHOCKS = [round(-1.0 + 0.1 * i, 1) for i in range(11)]


def make_book(n_positions: int, assets: list[str], seed: int = 1) -> Portfolio:
    """A reproducible mixed book: half options, a quarter perps, the rest futures and spot."""
    market = default_market()
    rng = np.random.default_rng(seed)
    positions = []
    for i in range(n_positions):
        asset = assets[i % len(assets)]
        spot = market.prices[asset]
        kind = i % 4
        qty = float(rng.choice([-1, 1]) * rng.uniform(0.1, 2.0) * 88_000 / spot)
        if kind in (0, 1):
            strike = spot * float(rng.uniform(0.7, 1.3))
            positions.append(Option(asset, "call" if kind == 0 else "put", strike, float(rng.integers(1, 120)), qty))
        elif kind == 2:
            positions.append(Perp(asset, qty, spot * float(rng.uniform(0.9, 1.1)), leverage=10))
        elif i % 8 == 3:
            positions.append(Future(asset, qty, spot, float(rng.integers(7, 180))))
        else:
            positions.append(Spot(asset, abs(qty)))
    return Portfolio(tuple(positions), {"USDC": 1_000_000.0})


def median_time(func, repeat: int) -> float:
    return paired_medians([func], repeat)[0]


def paired_medians(funcs, repeat: int, min_seconds: float = 0.4) -> list[float]:
    """Median seconds of each of ``funcs``, timed in alternation (f, g, f, g, ...) so that a busy
    moment of the machine hits all of them alike, for at least ``repeat`` rounds and
    ``min_seconds`` in all: sub-millisecond calls need hundreds of runs for a steady median."""
    for func in funcs:
        func()  # warm up
    times: list[list[float]] = [[] for _ in funcs]
    started = time.perf_counter()
    rounds = 0
    while rounds < repeat or (time.perf_counter() - started < min_seconds and rounds < 2000):
        for func, bucket in zip(funcs, times, strict=True):
            start = time.perf_counter()
            func()
            bucket.append(time.perf_counter() - start)
        rounds += 1
    return [statistics.median(bucket) for bucket in times]


def floor_revaluation(book: Portfolio, market, params=CLASSROOM_PM):
    """The revaluations portfolio_margin performs, as one bare NumPy expression.

    Every option is priced at every move its unit needs (its own grid and two extremes, steps + 2;
    with more than one unit also the joint scenarios: U drivers and the linear-worst direction, each
    at the grid's points and two extremes, (U + 1) x (steps + 2)),
    for 3 vol states, in a single call of the engine's own Black-76 kernel (the same arithmetic per
    price as the engine, so the ratio measures bookkeeping, not a formula); linear exposures are
    multiplied by the same moves. No repeated move is skipped (the engine prices each distinct move
    once) and nothing is labelled, so this is what the arithmetic costs with no bookkeeping at all.
    Positions and the kernel's per-option constants are prepared before timing.
    """
    arrays = book_arrays(book, market)
    spots, vols, basis = market_vectors(arrays, market)
    units = unit_set(arrays, spots, vols, basis, params)
    n_units, steps = len(units), params.price_steps
    moves_per_unit = (steps + 2) * (1 + (n_units + 1 if n_units > 1 else 0))
    moves = np.linspace(-0.5, 0.5, moves_per_unit)
    revaluer = Black76Revaluer(units.opt_strike, units.opt_years, units.opt_is_call, units.opt_vols)
    option_spot = units.spot[units.opt_unit][:, None]
    everything = slice(None)
    marks = float(units.opt_qty @ units.opt_base)

    def run():
        forward = option_spot * (1.0 + moves)
        value = revaluer.value(everything, forward, np.log(forward), weight=units.opt_qty)
        return float(value.sum()) - marks * value.shape[1] * 3 + float((units.linear_delta[:, None] * moves).sum())

    return run


def liquidation_timings(market, repeat: int) -> None:
    """Median ms of liquidation_price on the 200-position, 10-asset book, per mode and asset."""
    book = make_book(200, ASSET_SETS[10])
    print()
    print(f"{'200 pos 10 ast':>14} | {'mode':>9} | {'asset':>5} | {'liquidation_price ms':>20} | price USD")
    for mode in ("portfolio", "cross"):
        for asset in ("BTC", "ETH"):
            found = liquidation_price(book, market, asset, mode)
            took = median_time(lambda m=mode, a=asset: liquidation_price(book, market, a, m), max(3, repeat // 3))
            shown = "none in (0, 100x]" if found is None else f"{found:,.2f}"
            print(f"{'':>14} | {mode:>9} | {asset:>5} | {took * 1e3:20.1f} | {shown}")
    print()


def main(quick: bool = False) -> None:
    market = default_market()
    repeat = 5 if quick else 15
    sizes = (10, 60) if quick else (10, 60, 300)
    print(f"{'book':>14} | {'cross ms':>9} | {'PM ms':>8} | {'floor ms':>8} | {'PM/floor':>8} | "
          f"{'VaR dn ms':>9} | {'VaR MC ms':>9} | {'sweep ms':>8} | {'110 calls ms':>12} | {'sweep/calls':>11}")
    rows = []
    for n_assets, assets in ASSET_SETS.items():
        for n in sizes:
            book = make_book(n, assets)
            t_cross = median_time(lambda b=book: cross_margin(b, market), repeat)
            t_pm, t_floor = paired_medians([lambda b=book: portfolio_margin(b, market),
                                            floor_revaluation(book, market)], repeat)
            t_var = median_time(lambda b=book: value_at_risk(b, market), repeat)
            t_mc = median_time(lambda b=book: value_at_risk(b, market, method="monte-carlo"), max(3, repeat // 3))
            shocked = [market.shocked(v, c) for v in VOL_MULTS for c in CORR_SHOCKS]

            def separate_calls(b=book, markets=shocked):
                for m in markets:
                    cross_margin(b, m)
                    portfolio_margin(b, m)

            t_sweep, t_calls = paired_medians([lambda b=book: shock_sweep(b, market, VOL_MULTS, CORR_SHOCKS),
                                               separate_calls], 9, min_seconds=0.0)
            rows.append((n_assets, n, t_pm / t_floor, t_sweep / t_calls, t_pm, t_sweep * 1e3))
            print(f"{n:>4} pos {n_assets:>2} ast | {t_cross * 1e3:9.2f} | {t_pm * 1e3:8.2f} | {t_floor * 1e3:8.2f} | "
                  f"{t_pm / t_floor:8.2f} | {t_var * 1e3:9.2f} | {t_mc * 1e3:9.1f} | {t_sweep * 1e3:8.1f} | "
                  f"{t_calls * 1e3:12.1f} | {t_sweep / t_calls:11.3f}")
    print()
    for n_assets in ASSET_SETS:
        series = [(n, t) for a, n, _, _, t, _ in rows if a == n_assets]
        if len(series) >= 2:
            (n0, t0), (n1, t1) = series[0], series[-1]
            print(f"{n_assets} assets: {n1 / n0:.0f}x positions -> {t1 / t0:.1f}x portfolio-margin time")
    liquidation_timings(market, repeat)
    guards = [(a, n, t, sweep_ms) for a, n, _, _, t, sweep_ms in rows if n == 60]
    print("guards (issue 21: keep within 20 %): " + "; ".join(
        f"{n} pos {a} ast PM {t * 1e3:.2f} ms, 10x11 sweep {sweep_ms:.1f} ms" for a, n, t, sweep_ms in guards))
    worst_floor = max(r[2] for r in rows)
    worst_sweep = max(r[3] for r in rows)
    print(f"worst PM/floor ratio {worst_floor:.2f} (target <= 3); worst sweep/110-calls ratio {worst_sweep:.3f} "
          f"(target < 0.3)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    parser.add_argument("--plain-malloc", action="store_true", help="do not keep freed memory (glibc defaults)")
    arguments = parser.parse_args()
    if not arguments.plain_malloc:
        print(f"keeping freed memory for reuse: {keep_freed_memory()}")
    main(arguments.quick)
