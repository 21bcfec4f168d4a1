"""The methodology: both models' formulas with the numbers of the ACTIVE rule sets, read from the engine.

The builders (``cross_formulas``, ``portfolio_formulas``, the tables) are pure: they take a
``CrossParams`` / ``PortfolioParams`` and return LaTeX strings and DataFrames, so the Learn page can
never disagree with the engine and tests can call them with a modified rule set.
:func:`ui.methodology.render` draws them with streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from margin import CrossParams, Market, Portfolio, PortfolioParams
from margin.market import is_stablecoin
from margin.portfolio import scan_range

#: Cap of the scan range in the engine (a price cannot fall more than 100 %).
RANGE_CAP = 0.95

LIMITATIONS: tuple[str, ...] = (
    "**European options only**, priced with **Black-76** on the spot price with rate 0 and **one flat "
    "volatility per expiry** (no smile or skew, no term structure beyond the vol-shift rule).",
    "**No funding**: perpetual funding payments, borrow interest and fees are left out; P&L is marked "
    "to today's prices only.",
    "**No order-book liquidation costs**: liquidation happens exactly at the liquidation price, with no "
    "slippage, no partial liquidation, no insurance fund or auto-deleveraging.",
    "**Presets follow dated documents**: deribit and okx reproduce a worked example their venue publishes, "
    "classroom is a teaching rule set (Deribit's grid with correlated offsets), and venues change their tables "
    "often and run more detail (size add-ons, concentration charges, per-contract minimums). Each preset's "
    "source names its document, that document's date and every simplification, numbers a venue does not "
    "publish included.",
    "**Default volatilities and correlations are assumptions** (round figures and a one-factor correlation "
    "model), not estimates; replace them on the Build page or estimate them from a price history.",
    "**Portfolio offsets** use joint scenarios on the correlation ellipsoid (each unit driving with the others "
    "following by correlation, plus the linear-worst direction), exact for books of perps, futures and spot "
    "and a scan for options; venues use their own offset rules (Deribit, OKX and Binance margin currencies "
    "apart, the segregated setting, which the deribit and okx presets use).",
    "**Time stands still**: no theta decay over the liquidation horizon; the basis of dated futures is a "
    "fixed annual rate.",
)


#: Where a preset's ``source`` starts listing its simplifications (margin/presets.py).
SIMPLIFICATIONS = "SIMPLIFICATIONS:"


def source_parts(source: str) -> tuple[str, list[str]]:
    """A preset's ``source`` split into what it follows (the document and its date) and its simplifications,
    one item each (the text after "SIMPLIFICATIONS:", split at semicolons outside brackets)."""
    follows, _, rest = source.partition(SIMPLIFICATIONS)
    items, depth, current = [], 0, []
    for char in rest:
        depth += (char in "([") - (char in ")]")
        if char == ";" and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    cleaned = [item.strip().rstrip(".").strip() for item in items]
    return follows.strip(), [_sentence(item) for item in cleaned if item]


def _sentence(item: str) -> str:
    """A simplification as a sentence: a capital first letter (not on a field name such as pnl_offset), a stop."""
    first = item.split(" ", 1)[0]
    return (item if "_" in first else item[0].upper() + item[1:]) + "."


@dataclass(frozen=True)
class Formula:
    title: str
    latex: str
    note: str = ""


# -- number formatting ---------------------------------------------------------------------------
def num(value: float) -> str:
    """A plain number for LaTeX: 0.15 -> '0.15', 4.0 -> '4', 1e6 -> '1{,}000{,}000'."""
    value = float(value)
    if math.isfinite(value) and value == int(value) and abs(value) >= 1000:
        return f"{int(value):,}".replace(",", "{,}")
    return f"{value:g}"


def pct(fraction: float) -> str:
    """A percentage for LaTeX: 0.16 -> '16\\,\\%', 0.0065 -> '0.65\\,\\%'."""
    return f"{float(fraction) * 100:.4g}\\,\\%"


def plain_pct(fraction: float) -> str:
    return f"{float(fraction) * 100:.4g} %"


def _text(label: str) -> str:
    return "\\text{" + label.replace("_", "\\_") + "}"


def _join(parts: Iterable[str], per_line: int = 4) -> str:
    """Terms separated by commas, ``per_line`` to a line (a long preset table wraps instead of overflowing)."""
    parts = list(parts)
    lines = [",\\quad ".join(parts[i : i + per_line]) for i in range(0, len(parts), per_line)]
    if len(lines) <= 1:
        return lines[0] if lines else ""
    return "\\begin{gathered}" + ",\\\\ ".join(lines) + "\\end{gathered}"


def _lines(*rows: str) -> str:
    """Several formulas stacked and centred."""
    return "\\begin{gathered}" + " \\\\ ".join(rows) + "\\end{gathered}"


# -- cross ---------------------------------------------------------------------------------------
def cross_formulas(params: CrossParams) -> list[Formula]:
    """The cross (and isolated) margin formulas with ``params``' numbers."""
    leverages = [f"\\ell_{{\\max}}^{{{_text(a)}}} = {num(v)}" for a, v in params.max_leverage.items()]
    leverages.append(f"\\ell_{{\\max}}^{{{_text('other')}}} = {num(params.default_max_leverage)}")
    untiered_rate = 1.0 / (2.0 * params.default_max_leverage)
    haircuts = [f"h_{{{_text(a)}}} = {pct(v)}" for a, v in params.haircuts.items()]
    haircuts += [f"h_{{{_text('other coins')}}} = {pct(params.default_haircut)}", f"h_{{{_text('stablecoins')}}} = 0"]
    return [
        Formula(
            "Equity (shared by every position)",
            "E = \\sum_{\\text{coins}} q\\,S\\,(1 - h) + \\sum_{\\text{perps, futures}} q\\,(F - F_{\\text{entry}})"
            " + \\sum_{\\text{options}} q\\,V",
            "q: signed quantity, S: spot price, F: mark of the perp or future, V: Black-76 option value; "
            "haircuts h below.",
        ),
        Formula("Haircuts of this rule set", _join(haircuts)),
        Formula(
            "Perps and futures: initial margin",
            "\\mathrm{IM} = \\max\\!\\left(\\frac{|q|\\,F}{\\min(\\ell,\\ \\ell_{\\max},\\ \\ell_{\\text{tier}})},"
            "\\ \\mathrm{MM}\\right)",
            "ℓ: the position's leverage (blank = the maximum); ℓ_tier = 1 / (2 × tier rate).",
        ),
        Formula("Maximum leverage of this rule set", _join(leverages)),
        Formula(
            "Perps and futures: maintenance margin (tiers)",
            _lines("\\mathrm{MM} = |q|\\,F \\cdot r_n - d_n,\\qquad d_n = d_{n-1} + N_n\\,(r_n - r_{n-1})",
                   f"r = \\frac{{1}}{{2\\,\\ell_{{\\max}}}} = \\frac{{1}}{{2 \\times {num(params.default_max_leverage)}}}"
                   f" = {pct(untiered_rate)}\\ \\text{{without tiers}}"),
            "Tier n applies from notional N_n; the deduction d_n keeps maintenance continuous. Tiers in the "
            "table below.",
        ),
        Formula(
            "Short options (Deribit standard margin), per contract",
            f"\\mathrm{{IM}} = \\max\\!\\left({num(params.option_initial_base)} - \\frac{{\\mathrm{{OTM}}}}{{S}},\\ "
            f"{num(params.option_initial_floor)}\\right) S + V,\\qquad "
            f"\\mathrm{{MM}} = {num(params.option_maintenance_rate)}\\,S + V",
            "OTM: how far out of the money the strike is, in USD. Long options need no margin.",
        ),
        Formula(
            "Borrowed coins (negative balances)",
            f"\\mathrm{{IM}} = {num(params.borrow_initial_rate)}\\,|q|\\,S,\\qquad "
            f"\\mathrm{{MM}} = {num(params.borrow_maintenance_rate)}\\,|q|\\,S",
        ),
        Formula(
            "The account",
            "\\mathrm{IM}_{\\text{cross}} = \\sum_i \\mathrm{IM}_i,\\qquad \\mathrm{MM}_{\\text{cross}} = "
            "\\sum_i \\mathrm{MM}_i,\\qquad \\text{liquidation when } E \\le \\mathrm{MM}_{\\text{cross}}",
            "No offsets: a hedge still pays for each leg. Isolated mode applies the same rules to one "
            "sub-account holding only its isolated margin.",
        ),
    ]


def tier_table(params: CrossParams) -> pd.DataFrame:
    """Every maintenance tier of the rule set: asset, from notional, rate, deduction, max leverage."""
    rows = []
    for asset, tiers in params.maintenance_tiers.items():
        for floor, rate, deduction, leverage in tiers:
            rows.append({"asset": asset, "from notional (USD)": floor, "maintenance rate (%)": rate * 100,
                         "deduction (USD)": deduction, "max leverage (×)": leverage})
    rows.append({"asset": "other assets", "from notional (USD)": 0.0,
                 "maintenance rate (%)": 100.0 / (2.0 * params.default_max_leverage), "deduction (USD)": 0.0,
                 "max leverage (×)": params.default_max_leverage})
    return pd.DataFrame(rows, columns=["asset", "from notional (USD)", "maintenance rate (%)", "deduction (USD)",
                                       "max leverage (×)"])


# -- portfolio -----------------------------------------------------------------------------------
def portfolio_formulas(params: PortfolioParams) -> list[Formula]:
    """The portfolio (risk-based) margin formulas with ``params``' numbers."""
    floors = [f"f_{{{_text(a)}}} = {pct(v)}" for a, v in params.price_range.items()]
    floors.append(f"f_{{{_text('other')}}} = {pct(params.default_price_range)}")
    states = ",\\ ".join(_text(s) for s in params.vol_states)
    ref, up, down = num(params.vol_reference_days), num(params.vol_up_shift), num(params.vol_down_shift)
    up_a = "u_a" if params.vol_up_by_asset else up  # one shift for every coin is printed as its number
    extreme_m, extreme_f = num(params.extreme_multiple), num(params.extreme_fraction)
    correlated = _lines(
        "L = \\min\\!\\Big(\\max_{d \\in D,\\ t,\\ v}\\Big[-\\sum_u \\mathrm{PnL}_u(t\\,d_u\\,R_u,\\ v)"
        "\\Big]^{+},\\ \\sum_a L_a\\Big)",
        "D = \\{\\rho_{\\cdot a}\\}_a \\cup \\Big\\{d^{*} = -\\frac{\\rho\\,e}{\\sqrt{e^{\\top}\\rho\\,e}}\\Big\\},"
        "\\qquad e_u = \\tfrac{1}{2}\\big[\\mathrm{PnL}_u(+R_u) - \\mathrm{PnL}_u(-R_u)\\big]",
        "\\text{perps, futures and spot only: } L = \\sqrt{e^{\\top}\\rho\\,e}",
    )
    segregated = "L = \\sum_a L_a"
    active = params.offsets
    if params.range_vol_multiple > 0:
        scan = Formula(
            "Scan range of each risk unit a (it widens with volatility)",
            f"R_a = \\min\\!\\left(\\max\\!\\left(f_a,\\ {num(params.range_vol_multiple)}\\,\\sigma_a"
            f"\\sqrt{{\\tfrac{{{num(params.range_horizon_days)}}}{{365}}}}\\right),\\ {pct(RANGE_CAP)}\\right)",
            f"σ_a: the asset's annual volatility; the range is at least the floor f_a and at least "
            f"{num(params.range_vol_multiple)} standard deviations over {num(params.range_horizon_days)} day(s).",
        )
        floor_title = "Range floors of this rule set"
    else:
        scan = Formula(
            "Scan range of each risk unit a (fixed: it does not follow volatility)",
            "R_a = f_a",
            "The venue publishes a fixed price range per coin; volatility moves the requirement only through the "
            "options it revalues.",
        )
        floor_title = "Price ranges of this rule set"
    return [
        scan,
        Formula(floor_title, _join(floors)),
        Formula(
            "Price moves of the grid",
            _lines("m_i = R_a\\left(\\frac{2i}{N-1} - 1\\right),\\quad i = 0,\\dots,N-1",
                   f"N = {params.price_steps},\\qquad v \\in \\{{{states}\\}}"),
            f"{params.price_steps} evenly spaced price points from −R_a to +R_a, each under the volatility "
            f"scenarios {', '.join(params.vol_states)}.",
        ),
        Formula(
            "Volatility scenarios (options)",
            _lines((f"\\sigma^{{\\uparrow}} = \\max\\!\\left(\\sigma\\left(1 + {up_a}\\left(\\tfrac{{{ref}}}{{D}}\\right)^{{p}}\\right),\\ "
                    f"{num(params.min_vol_shock_up)}\\right),\\quad " if params.min_vol_shock_up > 0 else
                    f"\\sigma^{{\\uparrow}} = \\sigma\\left(1 + {up_a}\\left(\\tfrac{{{ref}}}{{D}}\\right)^{{p}}\\right),\\quad ")
                   + f"\\sigma^{{\\downarrow}} = \\sigma\\max\\!\\left(1 - {down}\\left(\\tfrac{{{ref}}}{{D}}\\right)^{{p}},"
                   "\\ 0.05\\right)",
                   f"p = \\begin{{cases}} {num(params.vol_power_short)} & D < {ref} \\\\ "
                   f"{num(params.vol_power_long)} & D \\ge {ref} \\end{{cases}},\\qquad D = \\max(\\text{{DTE}},\\ "
                   f"{num(params.min_dte_days)})"),
            "DTE: days to expiry. Short-dated options get bigger volatility shifts. σ: the option's own vol (the "
            "market's smile at its strike and expiry), held through the grid's moves."
            + (" Vol-up shift u_a: " + ", ".join([f"{a} {num(v)}" for a, v in params.vol_up_by_asset.items()]
                                                + [f"other coins {up}"]) + "." if params.vol_up_by_asset else "")
            + (f" The shocked-up vol is at least {plain_pct(params.min_vol_shock_up)}." if params.min_vol_shock_up > 0
               else ""),
        ),
        Formula(
            "Loss of one risk unit alone (grid and extreme moves)",
            f"L_a = \\max\\!\\Big(\\max_{{i,\\,v}}\\big[-\\mathrm{{PnL}}_a(m_i, v)\\big],\\ {extreme_f}\\,"
            f"\\max_{{\\pm}}\\big[-\\mathrm{{PnL}}_a(\\pm {extreme_m}\\,R_a,\\ \\text{{flat}})\\big],\\ 0\\Big)",
            f"Every position on the unit is revalued in full (Black-76, not greeks). Extreme moves of "
            f"±{extreme_m} × the range count at {plain_pct(params.extreme_fraction)} of their loss.",
        ),
        Formula(
            f"Across units: {'signed joint scenarios (active)' if active == 'correlated' else 'joint scenarios'}",
            correlated,
            f"Moves in range units, on the correlation ellipsoid: each exposed unit a moves its full range and "
            f"every other unit follows by its correlation with a (direction ρ_·a), plus the linear-worst "
            f"direction d*; t runs over the grid's {params.price_steps} points of [−1, 1] in every vol scenario, "
            f"and ±{extreme_m} at vol flat counted at {plain_pct(params.extreme_fraction)}. e_u: unit u's signed "
            "gain over a full-range rise (vol flat). Signed: a long and a short on correlated assets offset. "
            "Never more than the units alone (ΣL_a).",
        ),
        Formula(
            f"Segregated units{' (active)' if active == 'segregated' else ' (the other choice)'}",
            segregated,
            "Each underlying margined alone: no offsets across assets.",
        ),
        Formula(
            "Add-ons",
            f"A = {num(params.short_option_min_rate)}\\,\\sum_a S_a\\,n^{{\\text{{short}}}}_a"
            f" + {num(params.basis_addon_rate)}\\,\\sum_a \\min(\\text{{long}}_a,\\ \\text{{short}}_a)"
            + (" + \\sum_{\\text{perps, futures}} |q|\\,S\\,\\max(r_a,\\ g_a\\,T)" if _has_roll(params) else "")
            + f" + {num(params.depeg_addon_rate)}\\,V_{{\\text{{stablecoins}}}}",
            "n_short: net short option contracts per strike and expiry; long_a / short_a: USD of long and "
            "short linear exposure (spot, perps, futures) on the unit, the part that hedges itself and "
            "bears basis risk; "
            + (f"the roll shock (Deribit's; OKX's MR4 basis): each perp's and future's size at the index S times "
               f"max(r_a, g_a × years to expiry T), with {_roll_terms(params)}; " if _has_roll(params) else "")
            + "V_stablecoins: USD value of stablecoin holdings (the depeg add-on). Stablecoins are not on the "
            "price grid.",
        ),
        Formula(
            "Requirement",
            (f"\\mathrm{{MM}} = {num(params.mm_factor)}\\,(L + A),\\qquad " if params.mm_factor != 1.0
             else "\\mathrm{MM} = L + A,\\qquad ")
            + f"\\mathrm{{IM}} = {num(params.im_multiplier)} \\times \\mathrm{{MM}}",
            "Liquidation when equity ≤ MM. Equity is counted as in cross margin, with this rule set's "
            "haircuts" + (": " + ", ".join(f"{a} {plain_pct(h)}" for a, h in params.haircuts.items())
                          if params.haircuts else " (none for coins by default)") + "."
            + (" Each settlement currency apart: coin-margined (inverse) contracts and coin-settled options are "
               "measured in their coin and converted at today's index, as a coin-settled venue does; a coin "
               "balance is that account's own money, with no risk in it, and hedges no dollar-settled contract."
               if params.inverse_risk_in_coin else ""),
        ),
    ]


def _has_roll(params: PortfolioParams) -> bool:
    return any(v > 0 for v in (*params.roll_shock_floor.values(), *params.roll_shock_annual.values(),
                               params.default_roll_shock_floor, params.default_roll_shock_annual))


def _roll_terms(params: PortfolioParams) -> str:
    """'BTC r 1 %, g 7.5 %; ETH r 0.5 %, g 5 %; other coins r 0 %, g 0 %', coins with the same rates together."""
    groups: dict[tuple[float, float], list[str]] = {}
    for asset in dict.fromkeys([*params.roll_shock_floor, *params.roll_shock_annual]):
        groups.setdefault(params.roll_shock(asset), []).append(asset)
    parts = [f"{', '.join(assets)} r {plain_pct(r)}, g {plain_pct(g)}" for (r, g), assets in groups.items()]
    parts.append(f"other coins r {plain_pct(params.default_roll_shock_floor)}, "
                 f"g {plain_pct(params.default_roll_shock_annual)}")
    return "; ".join(parts)


def range_table(params: PortfolioParams, book: Portfolio, market: Market) -> pd.DataFrame:
    """The scan range of every risk unit of ``book`` today, term by term (fractions as %)."""
    rows = []
    assets = [a for a in book.assets() if a in market.prices and not is_stablecoin(a)]
    for asset in assets:
        vol = float(market.vols[asset])
        responsive = params.range_vol_multiple * vol * math.sqrt(params.range_horizon_days / 365.0)
        rows.append({"risk unit": asset, "volatility (%)": vol * 100, "floor f (%)": params.range_floor(asset) * 100,
                     "k·σ·√(h/365) (%)": responsive * 100,
                     "scan range R (%)": scan_range(params, asset, vol) * 100,
                     "extreme move (%)": min(params.extreme_multiple * scan_range(params, asset, vol), 1.0) * 100})
    columns = ["risk unit", "volatility (%)", "floor f (%)", "k·σ·√(h/365) (%)", "scan range R (%)",
               "extreme move (%)"]
    if params.range_vol_multiple <= 0:  # a fixed range: no floor to compare with a volatility term
        columns = ["risk unit", "volatility (%)", "scan range R (%)", "extreme move (%)"]
    return pd.DataFrame(rows, columns=columns)
