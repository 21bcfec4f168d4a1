"""The glossary: every term the pages use, in plain language, with a stable anchor. Pure; no streamlit.

``term_link("margin ratio")`` gives a markdown link to the term on the Learn page
(``[margin ratio](./learn?term=margin-ratio#margin-ratio)``); ``tooltip("margin ratio")`` gives the
definition plus that link, for ``help=`` tooltips on metrics. The link is relative, so it works when
the app is served under a path prefix; the Learn page reads ``?term=`` and shows the definition first.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from margin import detect_jumps

LEARN_PATH = "./learn"
#: The slope ratio the Shocks page marks as a jump (margin.detect_jumps' default).
_SLOPE_RATIO = inspect.signature(detect_jumps).parameters["slope_ratio"].default


@dataclass(frozen=True)
class Term:
    name: str
    definition: str
    group: str
    aliases: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        return slug(self.name)


def slug(text: str) -> str:
    """'Margin ratio' -> 'margin-ratio'; 'VaR (Value-at-Risk)' -> 'var-value-at-risk'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


_ACCOUNT = "The account"
_CROSS = "Cross and isolated margin"
_PM = "Portfolio margin"
_INSTRUMENTS = "Instruments and prices"
_MARKET = "Market, shocks and risk"

TERMS: tuple[Term, ...] = (
    # -- the account ---------------------------------------------------------------------------
    Term("Collateral", "What you deposit in the account to back your positions: stablecoins such as USDC or "
         "USDT, or coins such as BTC. Collateral other than stablecoins counts after a haircut.", _ACCOUNT),
    Term("Equity", "What the account is worth right now: collateral and coins at today's prices (after "
         "haircuts), plus the unrealised profit or loss of perps and futures, plus the value of options "
         "(long options add their value, short options subtract it).", _ACCOUNT, ("account value",)),
    Term("Initial margin", "The equity you need to open a position or add to one. If equity is below it you "
         "may keep your positions but only reduce risk.", _ACCOUNT, ("IM",)),
    Term("Maintenance margin", "The minimum equity that keeps the positions open. If equity falls to it, the "
         "venue liquidates (closes) positions. Never more than initial margin.", _ACCOUNT, ("MM",)),
    Term("Margin ratio", "Maintenance margin divided by equity. At 100 % or more the account is liquidated; "
         "the lower, the safer.", _ACCOUNT),
    Term("Free collateral", "Equity minus initial margin: how much initial margin new positions may still use. "
         "Negative means you can only reduce risk.", _ACCOUNT),
    Term("Excess", "Equity minus maintenance margin: how much the account can lose before it is liquidated.",
         _ACCOUNT),
    Term("Liquidation", "The venue closing your positions because equity fell to the maintenance margin.",
         _ACCOUNT),
    Term("Liquidation price", "The price of one asset at which equity would equal the maintenance margin, "
         "with everything else held (or following by correlation when 'co-move' is on). The app re-evaluates "
         "the whole rule set at every trial price.", _ACCOUNT),
    Term("Distance to liquidation", "How far today's price is from the liquidation price, in % and in daily "
         "standard deviations.", _ACCOUNT),
    Term("Hedging benefit", "What offsets save within one margin mode: the sum of what each position would "
         "ask standing alone (same rule set, same market) minus what the book asks, for initial and maintenance "
         "margin separately. Under cross margin it is 0 by construction, since cross margin is that sum; under "
         "portfolio margin it is what hedges and correlations save, and it can be negative. A naked position has "
         "none, whatever its leverage. The gap between the two modes is another number: the mode difference.",
         _ACCOUNT),
    Term("Mode difference", "Cross margin's requirement minus portfolio margin's, for initial and maintenance "
         "margin separately: positive when portfolio margin asks less. It is there even for a single position, "
         "and cross initial margin is notional / the leverage you chose, so the initial difference moves with "
         "that choice. It is not the hedging benefit.", _ACCOUNT),
    Term("Rule set", "The numbers a margin model uses (leverage limits, tiers, haircuts, scan ranges, add-on "
         "rates), chosen in the sidebar from presets in the style of real venues.", _ACCOUNT, ("preset",)),
    # -- cross ---------------------------------------------------------------------------------
    Term("Cross margin", "One pool of collateral backs every position, and the requirement is the sum of each "
         "position's own rule. Positions never offset each other's requirement, but a winner's profit does "
         "support a loser.", _CROSS),
    Term("Isolated margin", "A position (or the positions on one asset) with its own small pool of margin. "
         "Nothing else in the account can save it, and its loss cannot drain the rest of the account.", _CROSS),
    Term("Contagion", "In one shared pool, a losing position drains the collateral that the other positions "
         "rely on, so a loss on one asset can liquidate positions on another.", _CROSS),
    Term("Leverage", "Position notional divided by the margin posted for it: 10x leverage means 10 % initial "
         "margin. Each asset has a maximum leverage in the rule set.", _CROSS),
    Term("Margin tiers", "Larger positions pay a higher maintenance rate (a lower maximum leverage). "
         "Maintenance = notional × rate − deduction, the deduction keeping it continuous from one tier to "
         "the next.", _CROSS, ("tier", "maintenance tiers")),
    Term("Haircut", "The share of a collateral's value that is NOT counted in equity, because its price can "
         "fall: a 5 % haircut counts 1 BTC worth 88,000 USD as 83,600 USD.", _CROSS),
    Term("Borrow", "A negative coin balance: you owe the coin. It is charged a borrow margin on its USD value.",
         _CROSS),
    # -- portfolio -----------------------------------------------------------------------------
    Term("Portfolio margin", "Risk-based margin: the whole book is revalued under stress scenarios and the "
         "requirement is the worst loss plus add-ons, so positions that hedge each other (in one risk unit, or "
         "across units with correlated offsets) ask less together than apart.", _PM, ("PM",)),
    Term("Risk unit", "One underlying and everything written on it (coins, perps, futures, options), revalued "
         "together under portfolio margin. A BTC unit and an ETH unit offset each other only through their "
         "correlation, and only with correlated offsets.", _PM),
    Term("Scenario grid", "The table of stress scenarios each risk unit is revalued under: price moves in even "
         "steps up to the scan range, times volatility up, flat and down.", _PM),
    Term("Scan range", "The largest price move of the scenario grid, e.g. ±16 % for BTC. It is the larger of a "
         "floor and a multiple of the volatility over the rule set's horizon (one or two days), so once "
         "volatility is high enough to lift it off the floor it widens as volatility rises.", _PM),
    Term("Extreme move", "A move of a multiple of the scan range (e.g. 2×) with flat volatility, whose loss "
         "counts only in part (35 % in SPAN). It catches books that are safe for small moves but blow up in "
         "large ones, such as short options far out of the money.", _PM),
    Term("Binding scenario", "The scenario with the worst loss: it sets the portfolio requirement. When a "
         "shock makes another scenario the worst, the requirement can jump.", _PM),
    Term("Correlation offset", "The amount portfolio margin subtracts from the sum of the units' stand-alone "
         "losses because the units move together and hedge each other (or do not move together and "
         "diversify).", _PM),
    Term("Segregated offsets", "A portfolio-margin variant that margins each underlying alone and adds the "
         "results: no offsets across assets.", _PM),
    Term("Add-on", "A charge added to the scenario loss for a risk the grid does not capture: short-option "
         "minimum, basis, stablecoin depeg.", _PM),
    Term("Short-option minimum", "A floor charge per net short option contract (e.g. 1 % of the underlying's "
         "price), so a far out-of-the-money short option never costs nothing.", _PM),
    Term("Basis", "The gap between a perp or future's price and the spot price. A hedge of spot with a perp "
         "or future still risks the basis moving; portfolio margin charges a basis add-on for it.", _PM),
    Term("Depeg", "A stablecoin losing its 1 USD value (USDC fell to 0.88 in March 2023). The loss lands in "
         "equity in every mode. Portfolio margin also charges a depeg add-on in advance, a share of the "
         "holdings' current value; cross margin counts them at face value and charges nothing for it.", _PM),
    Term("Volatility scenarios", "Vol up, vol flat and vol down: the grid revalues options with implied "
         "volatility shifted up and down, more for short-dated options.", _PM, ("vol up", "vol down")),
    # -- instruments ---------------------------------------------------------------------------
    Term("Spot", "Owning the coin itself. Held coins count in equity at price × (1 − haircut).", _INSTRUMENTS),
    Term("Perpetual", "A future with no expiry date (a 'perp'), kept close to the spot price by periodic "
         "funding payments between longs and shorts.", _INSTRUMENTS, ("perp",)),
    Term("Dated future", "A contract to buy or sell at a set date; before then its price differs from spot "
         "by the basis.", _INSTRUMENTS, ("future",)),
    Term("Option", "The right to buy (call) or sell (put) at the strike price on the expiry date. Buyers pay "
         "a premium and need no margin; sellers (short options) are margined.", _INSTRUMENTS,
         ("call", "put")),
    Term("Strike", "The price at which an option lets its holder buy (call) or sell (put).", _INSTRUMENTS),
    Term("Expiry", "The date an option or dated future ends; shown in days from today.", _INSTRUMENTS),
    Term("Notional", "Size × price in USD: the amount of the asset a position controls.", _INSTRUMENTS),
    Term("Mark price", "The price the venue uses to value a position (here: spot, or spot plus basis for "
         "futures, or the Black-76 value for options).", _INSTRUMENTS, ("mark",)),
    Term("Unrealised P&L", "Profit or loss of an open position at today's mark price; it counts in equity.",
         _INSTRUMENTS),
    Term("Black-76", "The option pricing formula the app uses (Black's model on the forward price, rate 0, "
         "the crypto convention), with one flat volatility per expiry.", _INSTRUMENTS),
    Term("Stablecoin", "A coin meant to stay at 1 USD (USDC, USDT). No haircut by default, but it can depeg.",
         _INSTRUMENTS),
    # -- market and risk -----------------------------------------------------------------------
    Term("Volatility", "How much a price swings, as an annualised standard deviation of returns: 55 % for BTC "
         "means a typical year moves it about ±55 %.", _MARKET, ("vol", "implied volatility")),
    Term("Daily standard deviation", "The typical one-day move: annual volatility / √365 (crypto trades every "
         "day). BTC at 55 % a year moves about 2.9 % a day; a 3σ day, either way, comes about once a year in "
         "a normal model (more often in practice: crypto has fat tails).", _MARKET, ("daily σ", "daily sigma")),
    Term("Correlation", "How closely two prices move together, from −1 (opposite) through 0 (unrelated) to +1 "
         "(in lockstep). BTC and ETH are about 0.85 by default.", _MARKET),
    Term("Correlation shock", "A stress on every correlation at once: toward +1 (everything falls together, "
         "as in a crash) or toward 0 at −1 (hedges between different coins stop working).", _MARKET),
    Term("Vol multiplier", "A stress that multiplies every volatility, e.g. ×2 doubles them. Portfolio margin "
         "reacts through option values and scan ranges (once volatility lifts them off their floor); cross "
         "margin only through option marks.",
         _MARKET, ("volatility multiplier",)),
    Term("Spot-vol elasticity", "How much volatility rises as the price falls: vol' = vol × (P / today)^−k. "
         "At k = 0 volatility stays put; at k = 2 a 30 % fall lifts vol by about 100 %.", _MARKET),
    Term("Co-move", "On the Liquidation page: other assets follow the moving one by their correlation-implied "
         "beta instead of standing still.", _MARKET),
    Term("Jump", f"On the Shocks page: a point where the requirement starts rising more than {_SLOPE_RATIO:g} "
         "times as fast from one step to the next, or another scenario becomes binding; marked with a diamond.",
         _MARKET),
    Term("VaR", "Value-at-Risk: the one-day loss the book should not exceed on 99 days out of 100. "
         "Delta-normal VaR uses today's sensitivities and the covariance; Monte Carlo reprices the book on "
         "simulated days.", _MARKET, ("value-at-risk", "value at risk")),
    Term("Nearest correlation matrix", "A correlation table must be internally consistent (positive "
         "semi-definite). When edits make it inconsistent, the repair button replaces it with the closest "
         "consistent one (Higham's method).", _MARKET),
)

GROUPS: tuple[str, ...] = (_ACCOUNT, _CROSS, _PM, _INSTRUMENTS, _MARKET)

_INDEX: dict[str, Term] = {}
for _term in TERMS:
    for _key in (_term.name, _term.anchor, *_term.aliases):
        _INDEX.setdefault(_key.lower(), _term)
        _INDEX.setdefault(slug(_key), _term)


def find(term: str | None) -> Term | None:
    """The glossary entry for a name, alias or anchor (case-insensitive), or None."""
    if not term:
        return None
    return _INDEX.get(term.strip().lower()) or _INDEX.get(slug(term))


def get(term: str) -> Term:
    found = find(term)
    if found is None:
        raise KeyError(f"'{term}' is not in the glossary")
    return found


def url(term: str) -> str:
    """The Learn page address of a term: './learn?term=margin-ratio#margin-ratio'."""
    anchor = get(term).anchor
    return f"{LEARN_PATH}?term={anchor}#{anchor}"


def term_link(term: str, label: str | None = None) -> str:
    """A markdown link to the term's glossary entry; ``label`` defaults to ``term`` as written."""
    get(term)
    return f"[{label or term}]({url(term)})"


def tooltip(term: str) -> str:
    """The definition and a link to the glossary, for a ``help=`` tooltip."""
    entry = get(term)
    return f"**{entry.name}**: {entry.definition} ({term_link(term, 'glossary')})"


def by_group() -> dict[str, list[Term]]:
    """Group -> terms, groups in page order, terms alphabetical within a group."""
    return {group: sorted((t for t in TERMS if t.group == group), key=lambda t: t.name.lower()) for group in GROUPS}
