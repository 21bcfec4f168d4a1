"""Lesson: Coin-margined (inverse) contracts: sized in dollars, paid in coin (``COIN_MARGINED``).

Two things a student of a BTC-settled venue must see: measured in the coin, a long inverse contract's
profit and loss is concave (``margin.units.coin_pnl_per_face``: -19.0 % of the face at -16 %, +13.8 % at
+16 %), and a deposit of the coin is a long position of its own, so a long inverse perp backed by it
moves in dollars like twice its face. Every number, and every word that compares two of them, is
generated from the engine's results on the lesson's sample (its long perpetual); the fixed words that
compare are backed by the claims at the end.
"""

from __future__ import annotations

import math

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
    fmt,
    price_from_today,
    which_word,
)
from margin import Portfolio, cross_margin, liquidation_price, portfolio_margin
from margin.instruments import InversePerp
from margin.units import coin_pnl_per_face
from views import coins, text

COIN = "BTC"
#: The move of the convexity step and its question: Deribit's BTC scan range.
MOVE = 0.16
#: A small move, to read the dollar exposure (USD per unit relative move) off the engine's equity.
NUDGE = 0.01


# -- the books -------------------------------------------------------------------------------------
def _perp(ctx: Context) -> InversePerp:
    """The sample's long inverse perpetual."""
    return next(p for p in ctx.book.positions if isinstance(p, InversePerp) and p.usd_size > 0)


def _price(ctx: Context) -> float:
    return float(ctx.market.prices[COIN])


def _backed(ctx: Context, btc_share: float) -> Portfolio:
    """The perpetual alone, with a deposit worth its face value today: ``btc_share`` of it in BTC, the
    rest in USDC (none of either when the share is 0 or 1)."""
    face = _perp(ctx).usd_size
    deposit = {COIN: btc_share * face / _price(ctx), "USDC": (1.0 - btc_share) * face}
    return Portfolio((_perp(ctx),), {asset: amount for asset, amount in deposit.items() if amount > 0})


def _alone(ctx: Context) -> Portfolio:
    return Portfolio((_perp(ctx),))


# -- convexity ---------------------------------------------------------------------------------------
def _coin_pnl(ctx: Context, move: float) -> tuple[float, float]:
    """(the perpetual's P&L in USD, the same in BTC) when BTC moves by ``move``, from the engine's equity:
    the change of cross equity, in BTC at the new price less in BTC at today's."""
    book, today = _alone(ctx), _price(ctx)
    moved = today * (1.0 + move)
    before = cross_margin(book, ctx.market, ctx.cross).equity
    after = cross_margin(book, ctx.market.with_prices({COIN: moved}), ctx.cross).equity
    return after - before, after / moved - before / today


def _share(ctx: Context, move: float) -> float:
    """The perpetual's P&L in BTC after ``move``, as a fraction of its face in BTC at today's price."""
    return _coin_pnl(ctx, move)[1] * _price(ctx) / _perp(ctx).usd_size


def _gains(value: float) -> str:
    return which_word(value, 0.0, "gains", "loses", "neither gains nor loses")


def _convexity_read(ctx: Context, percent: float) -> Readout:
    move = percent / 100.0
    usd, btc = _coin_pnl(ctx, move)
    share, other = _share(ctx, move), _share(ctx, -move)
    face = _perp(ctx).usd_size
    moved = _price(ctx) * (1.0 + move)
    signed_usd = f"{'−' if round(usd) < 0 else '+'}{text.money(abs(usd))}"
    metrics = (("BTC price", text.price(moved)), ("Perp P&L in USD", signed_usd),
               ("Perp P&L in BTC", coins.coins(btc, COIN)), ("In BTC, share of the face", text.percent(share, signed=True)))
    if move == 0:
        return Readout(metrics, "BTC at today's price: the perp has neither gained nor lost. Move BTC up or down.")
    note = (f"BTC {text.percent(move, 0, signed=True)}, to {text.price(moved)}: in dollars the perp {_gains(usd)} "
            f"{text.money(abs(usd))} ({text.percent(abs(usd) / face)} of its face); in BTC it {_gains(btc)} "
            f"{coins.coins(abs(btc), COIN)}, {text.percent(abs(share))} of its face in BTC at today's price "
            f"(1 − 1/(1 {'+' if move >= 0 else '−'} {abs(move):.2f}) = "
            f"{text.percent(float(coin_pnl_per_face(move)), signed=True)}). The same move the other way "
            f"{_gains(other)} {text.percent(abs(other))} in BTC.")
    return Readout(metrics, note)


def _measured(ctx: Context) -> str:
    """What the active portfolio rule set charges the perpetual alone, and in which unit it measures it."""
    rules = ctx.portfolio_rules
    face = _perp(ctx).usd_size
    pm = portfolio_margin(_alone(ctx), ctx.market, ctx.portfolio)
    loss = float(pm.details.get("scenario_loss", pm.maintenance))
    binding = pm.binding_scenario.replace("-", "−")
    if rules.inverse_risk_in_coin:
        return (f"Your portfolio rule set, {ctx.portfolio_name}, measures coin-margined contracts in BTC, as a "
                f"BTC-settled venue does: the perp alone's worst scenario ({binding}) loses {text.money(loss)} at "
                f"today's price, {text.percent(loss / face)} of its face, the loss in BTC.")
    scan = float(pm.details["ranges"][COIN])
    return (f"Your portfolio rule set, {ctx.portfolio_name}, measures coin-margined contracts in US dollars: the "
            f"perp alone's worst "
            f"scenario ({binding}) loses {text.money(loss)}, {text.percent(loss / face)} of its face. A rule set "
            f"that measures in BTC charges the loss in BTC instead: at a {text.percent(scan)} fall that is "
            f"{text.percent(-float(coin_pnl_per_face(-scan)))} of the face.")


def _convexity_why(ctx: Context) -> str:
    face, today = _perp(ctx).usd_size, _price(ctx)
    (down_usd, down_btc), (up_usd, up_btc) = _coin_pnl(ctx, -MOVE), _coin_pnl(ctx, MOVE)
    down, up = _share(ctx, -MOVE), _share(ctx, MOVE)
    word = which_word(abs(down), abs(up), "loses more", "loses less", "loses as much")
    return (f"In dollars the long perp is linear: at {text.percent(-MOVE, 0, signed=True)} it {_gains(down_usd)} "
            f"{text.money(abs(down_usd))}, at {text.percent(MOVE, 0, signed=True)} it {_gains(up_usd)} "
            f"{text.money(abs(up_usd))}. Its profit and loss is paid in BTC, so "
            f"those dollars are turned into BTC at the new price: after the fall, at "
            f"{text.price(today * (1 - MOVE))}, the loss is {coins.coins(abs(down_btc), COIN)}, "
            f"{text.percent(abs(down))} of the face's {coins.coins(face / today, COIN)} at today's price; after the "
            f"rise, at {text.price(today * (1 + MOVE))}, the gain is {coins.coins(abs(up_btc), COIN)}, "
            f"{text.percent(abs(up))}. Counted in BTC, a long inverse contract {word} on a fall than it gains on "
            f"the same rise: its P&L per face is 1 − 1/(1 + move), concave. {_measured(ctx)}")


def _solve_fall(ctx: Context) -> Solution:
    usd, btc = _coin_pnl(ctx, -MOVE)
    face, today = _perp(ctx).usd_size, _price(ctx)
    share, rise = _share(ctx, -MOVE), _share(ctx, MOVE)
    why = (f"The engine: at {text.price(today * (1 - MOVE))} the perp's equity is {text.money(abs(usd))} "
           f"{'lower' if usd < 0 else 'higher'}, which is {coins.coins(abs(btc), COIN)} at that price; its face, "
           f"{text.money(face)}, is {coins.coins(face / today, COIN)} at today's price, so it "
           f"{_gains(share)} {text.percent(abs(share), 2)} of it. The formula agrees: 1 − 1/(1 − {MOVE:.2f}) = "
           f"{text.percent(float(coin_pnl_per_face(-MOVE)), 2, signed=True)}. The same rise "
           f"{_gains(rise)} {text.percent(abs(rise), 2)} in BTC.")
    return Solution(why, value=-share * 100.0)


# -- coin collateral --------------------------------------------------------------------------------
def _exposure(ctx: Context, book: Portfolio) -> float:
    """Dollars the account gains per unit relative rise of BTC (engine equity, ±1 % around today)."""
    today = _price(ctx)
    up, down = (portfolio_margin(book, ctx.market.with_prices({COIN: today * (1 + s * NUDGE)}), ctx.portfolio).equity
                for s in (1.0, -1.0))
    return (up - down) / (2.0 * NUDGE)


def _cross_liquidation(ctx: Context, book: Portfolio) -> float | None:
    return liquidation_price(book, ctx.market, COIN, "cross", ctx.cross)


def _collateral_read(ctx: Context, percent: float) -> Readout:
    share = percent / 100.0
    book = _backed(ctx, share)
    face, today = _perp(ctx).usd_size, _price(ctx)
    times = _exposure(ctx, book) / face
    pm = portfolio_margin(book, ctx.market, ctx.portfolio)
    found = _cross_liquidation(ctx, book)
    held = book.collateral
    deposit = " and ".join(part for part in (
        coins.coins(held[COIN], COIN) if COIN in held else "",
        f"{held['USDC']:,.0f} USDC" if "USDC" in held else "") if part)
    note = (f"Deposit: {deposit} ({text.money(face)} in all today). A 1 % rise of BTC changes the account by "
            f"{text.money(abs(times) * face * 0.01)}: {times:.2f}× what the perp alone moves. Portfolio margin "
            f"({ctx.portfolio_name}) asks {text.money(pm.maintenance)} to stay open; cross margin ({ctx.cross}) "
            f"liquidates the account if BTC falls to {price_from_today(found, today)}.")
    return Readout((("Dollar exposure", f"{times:.2f}× the face"), ("Portfolio maintenance", text.money(pm.maintenance)),
                    ("Cross liquidation", text.price(found))), note)


def _collateral_numbers(ctx: Context) -> dict[str, float | None]:
    alone, backed, usdc = _alone(ctx), _backed(ctx, 1.0), _backed(ctx, 0.0)
    pm = {name: portfolio_margin(book, ctx.market, ctx.portfolio).maintenance
          for name, book in (("alone", alone), ("btc", backed), ("usdc", usdc))}
    return {"pm_alone": pm["alone"], "pm_btc": pm["btc"], "pm_usdc": pm["usdc"],
            "x_btc": _exposure(ctx, backed) / _perp(ctx).usd_size,
            "x_usdc": _exposure(ctx, usdc) / _perp(ctx).usd_size,
            "liq_btc": _cross_liquidation(ctx, backed), "liq_usdc": _cross_liquidation(ctx, usdc),
            "cm": cross_margin(backed, ctx.market, ctx.cross).maintenance,
            "cm_usdc": cross_margin(usdc, ctx.market, ctx.cross).maintenance}


def _collateral_why(ctx: Context) -> str:
    n = _collateral_numbers(ctx)
    face, today = _perp(ctx).usd_size, _price(ctx)
    ratio = n["pm_btc"] / n["pm_alone"] if n["pm_alone"] else math.inf
    cross_same = ("the same" if close(n["cm"], n["cm_usdc"], max(n["cm"], n["cm_usdc"], 1.0))
                  else f"{text.money(n['cm'])} against {text.money(n['cm_usdc'])}")
    first = which_word(n["liq_btc"] or 0.0, n["liq_usdc"] or 0.0, "the BTC-backed account", "the USDC-backed account",
                       "both at once")
    half = coins.coins(face / today, COIN)
    return (f"The deposit is a long BTC position of its own. In dollars the BTC-backed account moves "
            f"{n['x_btc']:.2f}× the face for a small BTC move, the USDC-backed one {n['x_usdc']:.2f}×. Portfolio "
            f"margin ({ctx.portfolio_name}) revalues deposit and perp together: the perp alone asks "
            f"{text.money(n['pm_alone'])}, backed by BTC worth its face {text.money(n['pm_btc'])} ({ratio:.2f}×), "
            f"backed by USDC {text.money(n['pm_usdc'])}. Cross margin ({ctx.cross}) charges the perp's face "
            f"whatever backs it ({cross_same}), but the equity it tests moves with the deposit: it liquidates the "
            f"BTC-backed account at {price_from_today(n['liq_btc'], today)}, the USDC-backed one at "
            f"{price_from_today(n['liq_usdc'], today)}; as BTC falls, the first to go is {first}. Counted in BTC "
            f"the deposit stays {half}, while the perp's loss in BTC, face × (1/entry − 1/price), reaches {half} "
            f"when the price halves: the whole deposit.")


def _solve_backed_ratio(ctx: Context) -> Solution:
    n = _collateral_numbers(ctx)
    ratio = n["pm_btc"] / n["pm_alone"] if n["pm_alone"] else None
    why = (f"Under {ctx.portfolio_name} the perp alone asks {text.money(n['pm_alone'])} of maintenance margin; "
           f"with {coins.coins(_perp(ctx).usd_size / _price(ctx), COIN)} deposited it asks "
           f"{text.money(n['pm_btc'])}: {fmt(ratio, '×')}. In dollars the deposit is a second long of the face's "
           f"size ({n['x_btc']:.2f}× the face in all), and the rule set revalues the two together.")
    return Solution(why, value=ratio)


BACKING = ("BTC worth the face", "USDC worth the face", "Both at the same price")


def _solve_first(ctx: Context) -> Solution:
    n = _collateral_numbers(ctx)
    btc, usdc, today = n["liq_btc"] or 0.0, n["liq_usdc"] or 0.0, _price(ctx)
    accepted = {2} if close(btc, usdc, today) else {0 if btc > usdc else 1}
    why = (f"Under {ctx.cross} the BTC-backed account is liquidated at {price_from_today(n['liq_btc'], today)}, the "
           f"USDC-backed one at {price_from_today(n['liq_usdc'], today)}. The requirement is the perp's in both "
           f"({text.money(n['cm'])} and {text.money(n['cm_usdc'])}); what differs is the equity: the BTC deposit "
           "loses value with the price, on top of the perp's loss.")
    return Solution(why, accepted=frozenset(accepted))


# -- the lesson --------------------------------------------------------------------------------------
def _intro_look(ctx: Context) -> str:
    cm = cross_margin(ctx.book, ctx.market, ctx.cross)
    pm = portfolio_margin(ctx.book, ctx.market, ctx.portfolio)
    return (f"{coins.read_inverse_rows(ctx.book.positions, ctx.market)} On Compare, a caption under the cards gives the "
            f"requirements in BTC too. {coins.read_in_coin(COIN, ctx.market, cm, pm)}")


COIN_MARGINED = Lesson(
    id="coin-margined",
    title="Coin-margined contracts: sized in dollars, paid in coin",
    sample="10_coin_margined_btc.json",
    summary="An inverse perpetual or future is sized in US dollars and settles in the coin. Count a long one's "
            "profit and loss in BTC after BTC moves down and after the mirror move up, then see what a BTC deposit "
            "does to its dollar exposure.",
    steps=(
        Step("Sized in dollars, paid in coin",
             look=_intro_look,
             why="An inverse contract's face value is fixed in US dollars; its profit and loss is paid in the "
                 "coin: face × (1/entry − 1/price) BTC, as on Deribit's BTC perpetual or Binance's COIN-M "
                 "contracts. Cross margin takes its rate from the dollar face value, so its requirement does not "
                 "move with the BTC price.",
             page="pages/compare.py"),
        Step("A move down and a move up, counted in coin",
             look="Take the book's long $100,000 perpetual alone and move BTC: the readout gives its profit and "
                  "loss in dollars and in BTC, from the engine's equity.",
             move="Slide the move between −50 % and +50 %, and compare a move with its mirror image.",
             why=_convexity_why,
             control=Control("BTC move (%)", -50.0, 50.0, -16.0, 1.0, _convexity_read,
                             "BTC's price change from today's, in percent.")),
        Step("A BTC deposit and the dollar exposure",
             look="Back the same perpetual with a deposit worth its face value today, $100,000: in USDC, in BTC, "
                  "or part of each.",
             move="Slide the BTC share of the deposit from 0 % (all USDC) to 100 % (all BTC).",
             why=_collateral_why,
             page="pages/liquidation.py",
             control=Control("BTC share of the deposit (%)", 0.0, 100.0, 100.0, 10.0, _collateral_read,
                             "The rest of the $100,000 deposit is in USDC.")),
    ),
    questions=(
        Question(f"BTC falls {text.percent(MOVE, 0)}. Counted in BTC at today's price, what share of its face value does the long "
                 "perpetual lose? (%)", _solve_fall, unit="%", abs_tol=0.3),
        Question("The long $100,000 perpetual alone asks some portfolio maintenance margin. Deposit $100,000 of BTC "
                 "beside it: what is the new requirement divided by the old one? (×)", _solve_backed_ratio,
                 unit="×", abs_tol=0.02, rel_tol=0.01),
        Question("Under cross margin, which deposit gets the account liquidated first as BTC falls?", _solve_first,
                 options=BACKING),
    ),
    claims=(
        claim("its requirement does not move with the BTC price",
              "cross maintenance does not move when BTC halves or doubles (tiers from the USD face value)", "steady",
              a="cross.maintenance", changes=("BTC*0.5", "BTC*0.8", "BTC*1.2", "BTC*2"), within=1.0),
        claim("its requirement does not move with the BTC price",
              "cross initial does not move when BTC halves or doubles", "steady",
              a="cross.initial", changes=("BTC*0.5", "BTC*0.8", "BTC*1.2", "BTC*2"), within=1.0),
    ),
)
