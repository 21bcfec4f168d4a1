"""Compare: what cross and portfolio margin ask for the same book, and why."""

import pandas as pd
import streamlit as st

from margin import CROSS_PRESETS, PORTFOLIO_PRESETS
from margin.presets import cross_params
from ui import compact, engine_cache, figures, page, state, workbench
from views import coins, components, glossary, metrics, scenario_text, text
from views.methodology import source_parts
from views.rules import preset_title

TABLES_KEY = "compare_tables"
STANDALONE_KEY = "compare_standalone"


def standalone_table(pm_benefit, cm_benefit) -> None:
    st.caption("Each position alone in an account of its own (USD): rows on the same instrument are one position, "
               "and collateral and spot holdings of a coin one balance. The last rows add them up and subtract "
               "the book's own requirement.")
    columns = {"cross_initial": (cm_benefit, "initial"), "cross_maintenance": (cm_benefit, "maintenance"),
               "portfolio_initial": (pm_benefit, "initial"), "portfolio_maintenance": (pm_benefit, "maintenance")}
    frame = pd.DataFrame({"position": pm_benefit.standalone["position"],
                          **{name: result.standalone[field].to_numpy() for name, (result, field) in columns.items()}})
    totals = pd.DataFrame({"position": ["Sum standing alone", "The book together", "Hedging benefit (sum − book)"],
                           **{name: [getattr(result, f"standalone_{field}"), getattr(result, f"book_{field}"),
                                     getattr(result, field)] for name, (result, field) in columns.items()}})
    labels = {"cross_initial": "Cross initial", "cross_maintenance": "Cross maint.",
              "portfolio_initial": "Portfolio initial", "portfolio_maintenance": "Portfolio maint."}
    st.dataframe(pd.concat([frame, totals], ignore_index=True), hide_index=True, width="stretch", placeholder="—",
                 column_config={"position": "Position",
                                **{name: st.column_config.NumberColumn(label, format="dollar")
                                   for name, label in labels.items()}})


slot = page.begin(summary_strip=False)  # its first cards are the summary, side by side
st.title("Cross vs portfolio margin")
ws = state.get()
cross = page.safe(engine_cache.cross, ws.portfolio, ws.market, ws.cross_preset)
portfolio = page.safe(engine_cache.portfolio, ws.portfolio, ws.market, ws.portfolio_rules)
if cross is None or portfolio is None:
    page.stop(slot)

st.caption(f"Rule sets: cross = **{preset_title('cross', ws.cross_preset)}**, portfolio = "
           f"**{preset_title('portfolio', ws.portfolio_preset)}**, {ws.portfolio_offsets} offsets (change them in the "
           "sidebar; where each comes from: the last section of this page).")
if ws.cross_preset == "binance":
    st.info(text.BINANCE_NOTE)
if pooled := coins.read_pooled_equity(ws.portfolio, ws.portfolio_rules):
    st.info(pooled)


def card(label: str, value: str, reading: str, delta: str | None = None, term: str | None = None) -> None:
    st.metric(label, value, delta=delta, delta_color="inverse", border=True,
              help=glossary.tooltip(term) if term else None)
    st.caption(reading)


# The two modes side by side, one row per quantity: on a phone the rows stay two columns wide
# (ui.compact.pair), so both modes' initial and maintenance are on the first screen; in presenter
# mode they are the key cards above the fold of a 1080 px projector.
cross_head, portfolio_head = compact.pair("compare_heads")
cross_head.subheader(f"Cross margin · {ws.cross_preset}")
portfolio_head.subheader(f"Portfolio margin · {ws.portfolio_preset}")
ROWS = (
    ("initial", "initial margin", text.money, text.read_initial, text.versus_cross),
    ("maintenance", "maintenance margin", text.money, text.read_maintenance, text.versus_cross),
    ("equity", "equity", text.money, lambda mode, v: text.read_equity(v, mode), None),
    ("margin_ratio", "margin ratio", text.ratio, lambda mode, v: text.read_margin_ratio(v, mode), None),
    ("free_collateral", "free collateral", text.money, lambda mode, v: text.read_free_collateral(v, mode), None),
)
for field, term, shown, reading, versus in ROWS:
    cross_column, portfolio_column = compact.pair(f"compare_{field}")
    cross_value, portfolio_value = getattr(cross, field), getattr(portfolio, field)
    with cross_column:
        card(f"Cross {term}", shown(cross_value), reading("cross", cross_value), term=term)
    with portfolio_column:
        card(f"Portfolio {term}", shown(portfolio_value), reading("portfolio", portfolio_value),
             delta=versus(portfolio_value, cross_value) if versus else None, term=term)

coin = coins.book_coin(ws.portfolio)
if coin is not None and coin in ws.market.prices:
    st.caption(coins.read_in_coin(coin, ws.market, cross, portfolio))
rules = cross_params(ws.cross_preset)
st.caption(text.read_initial_vs_maintenance(
    metrics.cross_parts(cross.breakdown, metrics.chosen_leverages(ws.portfolio, ws.cross_preset)),
    cross.initial, cross.maintenance, portfolio.initial, portfolio.maintenance, ws.portfolio_rules.im_multiplier,
    ws.portfolio_preset, (rules.option_initial_base, rules.option_initial_floor, rules.option_maintenance_rate),
    ws.portfolio_rules.mm_factor))

st.subheader("Hedging benefit: offsets within a mode")
st.caption("For one mode: what the positions would ask each standing alone (same rule set, same market; each "
           "collateral balance counts as a position of its own), minus what the book asks. Leverage does not "
           "enter it: a naked position has none, at any leverage.")
# The portfolio rule set in force (the preset with the session's offsets choice), as for the cards.
benefit = page.safe(engine_cache.hedging_benefits, ws.portfolio, ws.market, ws.cross_preset, ws.portfolio_rules)
if benefit is None:
    page.stop(slot)
pm_benefit, cm_benefit = benefit["portfolio"], benefit["cross"]
c1, c2 = compact.pair("compare_benefit")
with c1:
    card("Hedging benefit under portfolio margin, initial",
         text.money_gap(pm_benefit.standalone_initial, pm_benefit.book_initial),
         text.read_hedging_benefit(pm_benefit.standalone_initial, pm_benefit.book_initial, "initial"))
    card("Hedging benefit under portfolio margin, maintenance",
         text.money_gap(pm_benefit.standalone_maintenance, pm_benefit.book_maintenance),
         text.read_hedging_benefit(pm_benefit.standalone_maintenance, pm_benefit.book_maintenance, "maintenance"))
with c2:
    card("Hedging benefit under portfolio margin, % of standalone initial", text.percent(pm_benefit.initial_share),
         text.read_benefit_share(pm_benefit.initial_share, pm_benefit.maintenance_share))
    card("Hedging benefit under cross margin", text.money_gap(cm_benefit.standalone_initial, cm_benefit.book_initial),
         text.read_cross_benefit(cm_benefit.standalone_initial, cm_benefit.book_initial,
                                 cm_benefit.standalone_maintenance, cm_benefit.book_maintenance))
alone = st.expander("Each position standing alone", key=STANDALONE_KEY, on_change="rerun")
if alone.open:
    with alone:
        standalone_table(pm_benefit, cm_benefit)

st.subheader("Mode difference: cross minus portfolio")
st.caption("A difference between two rule sets, not a hedging benefit: it is there even for a single position.")
d1, d2 = compact.pair("compare_difference")
with d1:
    card("Cross − portfolio, initial", text.money_gap(cross.initial, portfolio.initial),
         text.read_mode_difference(cross.initial, portfolio.initial, "initial"))
with d2:
    card("Cross − portfolio, maintenance", text.money_gap(cross.maintenance, portfolio.maintenance),
         text.read_mode_difference(cross.maintenance, portfolio.maintenance, "maintenance"))
linear = cross.breakdown["type"].isin(metrics.CONTRACT_KINDS)
st.info(text.read_leverage_caveat(metrics.chosen_leverages(ws.portfolio, ws.cross_preset),
                                  float(cross.breakdown.loc[linear, "initial"].sum()), cross.initial))

page.chart(figures.requirement_figure(ws.portfolio, ws.market, ws.cross_preset, ws.portfolio_rules), key="compare_bars")
st.caption(scenario_text.read_binding(portfolio.binding_scenario, portfolio.details.get("scenario_loss"),
                             metrics.addon_parts(portfolio.breakdown), metrics.unit_losses(portfolio.breakdown),
                             ws.portfolio_rules.mm_factor)
           + f" ({glossary.term_link('binding scenario', 'what is a binding scenario?')})")


def breakdown_tables(cross, portfolio, preset: str) -> None:
    st.subheader("Cross margin: a requirement per position")
    st.caption("Cross margin adds up each position's own requirement; nothing offsets anything.")
    st.dataframe(
        cross.breakdown, hide_index=True, width="stretch", placeholder="—",
        column_config={
            "qty": st.column_config.NumberColumn("Qty", format="%.6g"),
            "notional": st.column_config.NumberColumn("Notional (USD)", format="dollar"),
            "mark": st.column_config.NumberColumn("Mark (USD)", format="%.6g"),
            "equity": st.column_config.NumberColumn("Equity part (USD)", format="dollar"),
            "initial": st.column_config.NumberColumn("Initial (USD)", format="dollar"),
            "maintenance": st.column_config.NumberColumn("Maintenance (USD)", format="dollar"),
        },
    )
    st.subheader("Portfolio margin: a requirement per component")
    named = components.VENUE_NAMES.get(preset)
    st.caption(f"Each {glossary.term_link('risk unit')}'s worst scenario loss, the "
               f"{glossary.term_link('correlation offset', 'offset')} the correlations allow, and the "
               f"{glossary.term_link('add-on', 'add-ons')}."
               + (f" Components carry the names {preset}'s documents use, the engine's in brackets." if named else ""))
    st.dataframe(
        components.named_breakdown(portfolio.breakdown, preset), hide_index=True, width="stretch", placeholder="—",
        column_config={
            "maintenance": st.column_config.NumberColumn("Maintenance (USD)", format="dollar"),
            "initial": st.column_config.NumberColumn("Initial (USD)", format="dollar"),
        },
    )


# The trader's workbench: a compact trade ticket and the greeks (ui/workbench.py), folded.
workbench.compare_panels()
# Folded and drawn only when opened: two data grids are the costliest thing a browser redraws here.
tables = st.expander("Breakdown tables: per position (cross) and per component (portfolio)", key=TABLES_KEY,
                     on_change="rerun")
if tables.open:
    with tables:
        breakdown_tables(cross, portfolio, ws.portfolio_preset)
sources = st.expander("Where the rule sets come from", key="compare_sources", on_change="rerun")
if sources.open:  # drawn only when asked for: fewer elements for the browser to redraw per change
    for mode, params in (("Cross", CROSS_PRESETS[ws.cross_preset]), ("Portfolio", PORTFOLIO_PRESETS[ws.portfolio_preset])):
        follows, simplifications = source_parts(params.source)
        sources.markdown(f"**{mode} · {params.title}**: {follows}")
        if simplifications:
            sources.markdown("Simplifications:\n" + "\n".join(f"- {item}" for item in simplifications))
page.end(slot)
