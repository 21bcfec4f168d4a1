"""Every page through Streamlit's AppTest: it renders, shows the engine's numbers, and reacts as the
engine says when a widget moves. Bad input (a table row, an upload) shows st.error and keeps the book."""

import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from margin import (
    Perp,
    Portfolio,
    cross_margin,
    default_market,
    hedging_benefit,
    liquidation_price,
    load_portfolio,
    portfolio_margin,
    value_at_risk,
)
from margin.presets import PORTFOLIO_PRESETS
from tests.app_support import opened_app, table_positions
from tests.figures import drawn_charts
from ui.state import Workspace
from views import components, editor, metrics, scenario_text, text
from views.methodology import source_parts

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SAMPLES = ROOT / "sample_portfolios"
TIMEOUT = 30


@pytest.fixture
def app() -> AppTest:
    return opened_app(TIMEOUT)


def workspace(at: AppTest) -> Workspace:
    return at.session_state["workspace"]


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_the_app_opens_on_the_hedged_btc_eth_pair():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception and not errors(at)
    assert workspace(at).portfolio == load_portfolio(SAMPLES / "03_btc_eth_pair.json")
    assert table_positions(at)["type"].tolist() == ["perp", "perp"]


@pytest.mark.parametrize("page", ["pages/build.py", "pages/compare.py", "pages/liquidation.py", "pages/shocks.py",
                                  "pages/replay.py", "pages/learn.py"])
def test_every_page_renders_without_exception_or_error(app, page):
    app.switch_page(page).run()
    assert not app.exception
    assert not errors(app)
    assert app.title, f"{page} has no title"


def test_compare_shows_the_engines_requirements_for_the_default_book(app):
    app.switch_page("pages/compare.py").run()
    ws = workspace(app)
    cm, pm = cross_margin(ws.portfolio, ws.market), portfolio_margin(ws.portfolio, ws.market)
    shown = metric_values(app)
    assert shown["Cross initial margin"] == text.money(cm.initial)
    assert shown["Cross maintenance margin"] == text.money(cm.maintenance)
    assert shown["Portfolio initial margin"] == text.money(pm.initial)
    assert shown["Portfolio maintenance margin"] == text.money(pm.maintenance)
    assert shown["Cross margin ratio"] == text.ratio(cm.margin_ratio)
    assert shown["Portfolio free collateral"] == text.money(pm.free_collateral)
    benefit, cross_benefit = hedging_benefit(ws.portfolio, ws.market), hedging_benefit(ws.portfolio, ws.market, "cross")
    assert benefit.initial > 0  # the default book is a hedge
    # whole-dollar gaps of the figures shown, so they add up on the page; within $1 of the engine's
    assert shown["Hedging benefit under portfolio margin, initial"] == text.money_gap(benefit.standalone_initial,
                                                                                      pm.initial)
    assert abs(text.shown_gap(benefit.standalone_initial, pm.initial) - benefit.initial) <= 1.0
    assert shown["Hedging benefit under portfolio margin, maintenance"] == text.money_gap(
        benefit.standalone_maintenance, pm.maintenance)
    assert shown["Hedging benefit under portfolio margin, % of standalone initial"] == text.percent(benefit.initial_share)
    assert shown["Hedging benefit under cross margin"] == "$0" == text.money(cross_benefit.initial)
    assert shown["Cross − portfolio, initial"] == text.money_gap(cm.initial, pm.initial)
    assert shown["Cross − portfolio, maintenance"] == text.money_gap(cm.maintenance, pm.maintenance)
    # a plain-language reading under every number
    captions = [c.value for c in app.caption]
    assert text.read_maintenance("cross", cm.maintenance) in captions
    assert text.read_hedging_benefit(benefit.standalone_initial, pm.initial, "initial") in captions
    assert text.read_hedging_benefit(benefit.standalone_maintenance, pm.maintenance, "maintenance") in captions
    assert text.read_mode_difference(cm.initial, pm.initial, "initial") in captions
    assert text.read_mode_difference(cm.maintenance, pm.maintenance, "maintenance") in captions
    assert any(c.startswith("$0 under cross margin, by construction") for c in captions)
    assert not any("not a risk model" in i.value for i in app.info)  # the Binance note: only under binance
    assert any("Cross initial margin is notional / your leverage (10x here)" in i.value for i in app.info)


def test_raising_the_size_slider_raises_cross_initial_exactly_as_the_engine_says(app):
    size = next(s for s in app.slider if s.label.startswith("Size"))
    assert size.value == pytest.approx(1.0)
    size.set_value(2.0).run()
    assert not app.exception and not errors(app)
    ws = workspace(app)
    assert ws.portfolio.positions[0].qty == pytest.approx(2.0)
    app.switch_page("pages/compare.py").run()
    expected = cross_margin(ws.portfolio, ws.market)
    before = cross_margin(load_portfolio(SAMPLES / "03_btc_eth_pair.json"), default_market())
    assert expected.initial > before.initial
    assert metric_values(app)["Cross initial margin"] == text.money(expected.initial)


def test_a_slider_move_keeps_the_sliders_range_and_the_collateral_table_and_the_table_follows(app):
    size = next(s for s in app.slider if s.label.startswith("Size"))
    before_max, before_key = size.max, size.key
    # The first change of a sample reruns the page: its title and story, at the top, say it is changed.
    size.set_value(1.5).run()
    assert workspace(app).portfolio.title.endswith(" (changed)")
    assert any(i.value.startswith(f"**{workspace(app).portfolio.title}**") for i in app.info)
    app.run()
    size = next(s for s in app.slider if s.label.startswith("Size"))
    ws = workspace(app)
    size.set_value(3.0).run()
    assert not app.exception and not errors(app)
    # The move reruns the fragments that show the book, not the sliders (AppTest then holds only those
    # fragments' elements); on the page's next run the slider is the same widget (not rebuilt by the
    # browser) with the same range: the thumb stays under the hand.
    assert not any(s.label.startswith("Size") for s in app.slider)
    app.run()
    size = next(s for s in app.slider if s.label.startswith("Size"))
    assert (size.key, size.max, size.value) == (before_key, before_max, pytest.approx(3.0))
    after = workspace(app)
    # Neither table is rebuilt (the collateral table is keyed on editors.collateral, the positions table on
    # editors.positions): the positions table shows the moved book in place.
    assert (after.editors.collateral, after.editors.positions) == (ws.editors.collateral, ws.editors.positions)
    assert after.editors.base.positions[0].qty == pytest.approx(3.0)
    assert table_positions(app)["size"].iloc[0] == pytest.approx(3.0)
    # A size typed in the table moves the slider there.
    app.session_state[f"positions_{after.editors.positions}"] = {
        "edited_rows": {"0": {"size": 2.0}}, "added_rows": [], "deleted_rows": []}
    app.run()
    assert workspace(app).portfolio.positions[0].qty == pytest.approx(2.0)
    size = next(s for s in app.slider if s.label.startswith("Size"))
    assert size.value == pytest.approx(2.0)
    # The next move restarts the table, which holds that edit: kept, Streamlit would replay it over the move.
    size.set_value(4.0).run()
    app.run()
    assert workspace(app).portfolio.positions[0].qty == pytest.approx(4.0)
    assert workspace(app).editors.positions == ws.editors.positions + 1
    assert table_positions(app)["size"].iloc[0] == pytest.approx(4.0)


def test_an_invalid_table_row_is_named_and_nothing_is_applied(app):
    ws = workspace(app)
    app.session_state[f"positions_{ws.editors.positions}"] = {
        "edited_rows": {"0": {"size": 3.0}, "1": {"strike": 1000.0}}, "added_rows": [], "deleted_rows": []}
    app.run()
    assert not app.exception
    assert any(message.startswith("Row 2, strike:") for message in errors(app))
    assert workspace(app).portfolio == ws.portfolio  # the valid edit to row 1 waits too


def test_valid_table_edits_all_apply_at_once(app):
    ws = workspace(app)
    app.session_state[f"positions_{ws.editors.positions}"] = {
        "edited_rows": {"1": {"size": 30.0}, "2": {"type": "call", "asset": "BTC", "side": "short", "size": 1.0,
                                                   "strike": 100000.0, "expiry": 30.0}},  # row 3: the blank one
        "added_rows": [], "deleted_rows": []}
    app.run()
    assert not app.exception and not errors(app)
    book = workspace(app).portfolio
    assert [p.qty for p in book.positions] == [1.0, -30.0, -1.0]
    assert book.positions[2].kind == "call" and book.positions[2].strike == 100000.0


def test_a_bad_upload_shows_the_loader_message_and_keeps_the_book(app):
    before = workspace(app).portfolio
    bad = b'{"positions": [{"type": "perp", "asset": "BTC", "qty": 1}]}'
    app.file_uploader[0].set_value(("broken.json", bad, "application/json")).run()
    assert not app.exception
    assert any("positions[0].entry_price" in message and "unchanged" in message for message in errors(app))
    assert workspace(app).portfolio == before


def test_an_upload_whose_asset_has_no_price_is_rejected_too(app):
    before = workspace(app).portfolio
    unpriced = b'{"positions": [{"type": "perp", "asset": "NOPE", "qty": 1, "entry_price": 5}]}'
    app.file_uploader[0].set_value(("nope.json", unpriced, "application/json")).run()
    assert any("NOPE" in message for message in errors(app))
    assert workspace(app).portfolio == before


def test_a_good_upload_replaces_the_book_and_the_table(app):
    data = (SAMPLES / "05_short_strangle.json").read_bytes()
    app.file_uploader[0].set_value(("strangle.json", data, "application/json")).run()
    assert not app.exception and not errors(app)
    assert workspace(app).portfolio == load_portfolio(data.decode())
    assert table_positions(app)["type"].tolist() == ["call", "put"]


def test_inconsistent_correlations_name_the_pair_and_repair_fixes_them(app):
    rho = next(n for n in app.number_input if n.label == "ρ BTC/ETH")
    rho.set_value(-0.9).run()
    assert not app.exception
    (message,) = [m for m in errors(app) if "correlation" in m]
    assert "BTC/ETH" in message
    assert workspace(app).market.correlation.loc["BTC", "ETH"] == pytest.approx(0.85)  # last valid market kept
    next(b for b in app.button if b.label == "Repair correlations").click().run()
    assert not app.exception and not errors(app)
    repaired = workspace(app).market.correlation.loc["BTC", "ETH"]
    assert -0.9 < repaired < 0.85


def test_a_price_change_flows_into_the_requirements(app):
    price = next(n for n in app.number_input if n.label == "BTC price (USD)")
    price.set_value(100_000.0).run()
    ws = workspace(app)
    assert ws.market.prices["BTC"] == 100_000.0
    app.switch_page("pages/compare.py").run()
    assert metric_values(app)["Cross maintenance margin"] == text.money(cross_margin(ws.portfolio, ws.market).maintenance)


def test_presets_chosen_in_the_sidebar_drive_the_compare_page(app):
    app.selectbox(key="sidebar_cross_preset").set_value("binance").run()
    app.selectbox(key="sidebar_portfolio_preset").set_value("span").run()
    ws = workspace(app)
    assert (ws.cross_preset, ws.portfolio_preset) == ("binance", "span")
    app.switch_page("pages/compare.py").run()
    shown = metric_values(app)
    assert shown["Cross initial margin"] == text.money(cross_margin(ws.portfolio, ws.market, "binance").initial)
    assert shown["Portfolio initial margin"] == text.money(portfolio_margin(ws.portfolio, ws.market, "span").initial)


def test_the_sample_picker_loads_a_sample_and_says_when_portfolio_margin_asks_more(app):
    app.selectbox(key="sidebar_sample").set_value("01_naked_long_perp.json").run()
    ws = workspace(app)
    assert ws.portfolio == load_portfolio(SAMPLES / "01_naked_long_perp.json")
    app.switch_page("pages/compare.py").run()
    cm, pm = cross_margin(ws.portfolio, ws.market), portfolio_margin(ws.portfolio, ws.market)
    assert pm.initial > cm.initial and pm.maintenance > cm.maintenance  # a naked perp at 10x
    captions = [c.value for c in app.caption]
    for requirement in ("initial", "maintenance"):
        gap = text.money_gap(getattr(pm, requirement), getattr(cm, requirement))
        assert f"Portfolio margin asks {gap} more {requirement} margin than cross margin" in " ".join(captions)
    assert not any("less" in c for c in captions if c.startswith("Portfolio margin asks"))
    assert metric_values(app)["Hedging benefit under portfolio margin, initial"] == "$0"


def test_liquidation_page_shows_the_engines_liquidation_prices_and_distances(app):
    app.switch_page("pages/liquidation.py").run()
    ws = workspace(app)
    shown = metric_values(app)
    today, vol = ws.market.prices["BTC"], ws.market.vols["BTC"]
    for mode, label in (("cross", "Cross"), ("portfolio", "Portfolio"), ("isolated", "Isolated")):
        expected = liquidation_price(ws.portfolio, ws.market, "BTC", mode)
        assert shown[f"{label} liquidation price"] == text.price(expected)
        fraction, sigmas = metrics.distance(today, expected, vol)
        card = next(m for m in app.metric if m.label == f"{label} liquidation price")
        assert card.delta == f"{text.percent(fraction, signed=True)} · {sigmas:.1f} daily σ"
        assert sigmas == pytest.approx(abs(expected / today - 1) / (vol / math.sqrt(365)))
    assert len(drawn_charts(app)) == 1


def test_spot_vol_elasticity_moves_the_portfolio_liquidation_price(app):
    app.switch_page("pages/liquidation.py").run()
    before = metric_values(app)["Portfolio liquidation price"]
    app.slider(key="liq_elasticity").set_value(2.0).run()
    assert not app.exception and not errors(app)
    ws = workspace(app)
    expected = liquidation_price(ws.portfolio, ws.market, "BTC", "portfolio", spot_vol_elasticity=2.0)
    assert metric_values(app)["Portfolio liquidation price"] == text.price(expected) != before


def test_shocks_page_shows_var_and_all_charts(app):
    app.switch_page("pages/shocks.py").run()
    ws = workspace(app)
    shown = metric_values(app)
    assert shown["VaR 99 % 1-day, delta-normal"] == text.money(value_at_risk(ws.portfolio, ws.market))
    assert shown["VaR 99 % 1-day, Monte Carlo"] == text.money(
        value_at_risk(ws.portfolio, ws.market, method="monte-carlo"))
    assert len(drawn_charts(app)) == 5
    assert any("binding" in c.value for c in app.caption)  # each line names its binding scenario or says it stays


def test_learn_lists_every_sample_story(app):
    app.switch_page("pages/learn.py").run()
    app.session_state["learn_stories"] = True  # the expander draws its stories once opened
    app.run()
    stories = {c.value for c in app.caption}
    for path in sorted(SAMPLES.glob("*.json")):
        assert load_portfolio(path).story in stories


def test_an_engine_error_is_the_engines_message_not_a_traceback(app):
    ws = workspace(app)
    unpriced = Portfolio((Perp("NOPE", 1.0, 5.0),), {"USDC": 1000.0})
    app.session_state["workspace"] = ws.with_book(unpriced, "outside")
    for page in ("pages/compare.py", "pages/shocks.py"):
        app.switch_page(page).run()
        assert not app.exception, page
        shown = errors(app)
        assert shown and all("NOPE" in e and "Traceback" not in e for e in shown), (page, shown)
    app.switch_page("pages/liquidation.py").run()
    assert not app.exception


def test_editor_rows_round_trip_every_sample():
    for path in sorted(SAMPLES.glob("*.json")):
        book = load_portfolio(path)
        positions, problems = editor.frame_positions(editor.positions_frame(book))
        assert not problems and tuple(positions) == book.positions, path.name


def test_sidebar_summary_reads_its_numbers_in_words(app):
    ws = app.session_state["workspace"]
    cross, portfolio = cross_margin(ws.portfolio, ws.market), portfolio_margin(ws.portfolio, ws.market)
    expected = text.read_summary(cross.equity, portfolio.equity, cross.maintenance, portfolio.maintenance)
    assert text.money(cross.equity - cross.maintenance) in expected
    assert text.money(portfolio.equity - portfolio.maintenance) in expected
    figures = " ".join(m.value for m in app.sidebar.markdown)
    assert text.small_note(expected) in figures  # set small under the figures, in their one element
    for value in (cross.maintenance, portfolio.maintenance, cross.initial, portfolio.initial):
        assert f"**{text.money(value)}**" in figures


def test_a_small_note_keeps_a_titles_brackets_inside_its_directive():
    # A book's title is the user's: "]" unescaped would end the :small[...] directive and show the rest raw.
    assert text.small_note("Pair [test] \\ one]") == ":gray[:small[Pair \\[test\\] \\\\ one\\]]]"


def test_summary_measures_each_cushion_against_its_own_equity():
    reading = text.read_summary(10_000.0, 8_000.0, 2_000.0, 3_000.0)
    assert text.money(8_000.0) in reading and text.money(5_000.0) in reading
    assert "short of" in text.read_summary(10_000.0, 2_000.0, 2_000.0, 3_000.0)


def test_compare_names_the_rule_sets_sources_once_asked(app):
    app.switch_page("pages/compare.py").run()
    ws = workspace(app)
    follows, simplifications = source_parts(PORTFOLIO_PRESETS[ws.portfolio_preset].source)
    assert not any(follows in m.value for m in app.markdown)  # folded: not even sent to the browser
    app.session_state["compare_sources"] = True
    app.run()
    shown = " ".join(m.value for m in app.markdown)
    assert follows in shown and simplifications and all(item in shown for item in simplifications)
    assert PORTFOLIO_PRESETS[ws.portfolio_preset].title in shown


def test_compare_breakdown_tables_are_folded_and_drawn_once_opened(app):
    app.switch_page("pages/compare.py").run()
    assert any("Breakdown tables" in e.label for e in app.expander) and not app.dataframe
    app.session_state["compare_tables"] = True
    app.run()
    ws = workspace(app)
    cross_table, portfolio_table = (d.value for d in app.dataframe)
    assert cross_table["maintenance"].sum() == pytest.approx(cross_margin(ws.portfolio, ws.market).maintenance)
    assert portfolio_table["maintenance"].sum() == pytest.approx(portfolio_margin(ws.portfolio, ws.market).maintenance)


@pytest.mark.parametrize("preset", ["okx", "deribit", "classroom"])
def test_the_portfolio_breakdown_carries_the_venues_component_names(app, preset):
    """OKX's MR components where the engine has them (scenario loss = max(MR1, MR6), roll shock = MR4 basis),
    Deribit's simulate fields; the classroom set keeps the engine's names. The rows still add up."""
    app.selectbox(key="sidebar_portfolio_preset").set_value(preset).run()
    app.switch_page("pages/compare.py").run()
    app.session_state["compare_tables"] = True
    app.run()
    ws = workspace(app)
    portfolio_table = app.dataframe[1].value
    expected = portfolio_margin(ws.portfolio, ws.market, ws.portfolio_rules)
    assert portfolio_table["maintenance"].sum() == pytest.approx(expected.maintenance)
    assert list(portfolio_table["component"]) == [components.venue_name(preset, c) for c in expected.breakdown["component"]]
    names = set(portfolio_table["component"])
    if preset == "okx":
        assert {"MR1 / MR6: max(spot shock, ½ × extreme move) (scenario loss)", "MR4: basis (roll shock)"} <= names
    elif preset == "deribit":
        assert "roll_shock (roll shock)" in names and any(n.startswith("mm_factor") for n in names)
    else:
        assert names == {"scenario loss", "correlation offset", "depeg add-on"}
    captions = " ".join(c.value for c in app.caption)
    assert (f"names {preset}'s documents use" in captions) == (preset != "classroom")


@pytest.mark.parametrize("preset", ["okx", "deribit", "classroom"])
def test_the_shocks_page_says_why_correlation_does_or_does_not_move_the_requirement(app, preset):
    app.selectbox(key="sidebar_portfolio_preset").set_value(preset).run()
    app.switch_page("pages/shocks.py").run()
    assert not app.exception and not errors(app)
    ws = workspace(app)
    captions = " ".join(c.value for c in app.caption)
    line = [portfolio_margin(ws.portfolio, ws.market.shocked(corr_shock=s), ws.portfolio_rules).maintenance
            for s in (-1.0, 0.0, 1.0)]
    if ws.portfolio_offsets == "segregated":
        assert line[0] == pytest.approx(line[1]) == pytest.approx(line[2])  # checked: correlation changes nothing
        assert (f"Under {preset} with segregated offsets each coin is margined on its own and the requirements add "
                "up, so no correlation enters the portfolio requirement") in captions
        assert text.money(line[1]) in captions
    else:
        assert line[0] > line[1]  # the pair's hedge breaks down
        assert "With correlated offsets the portfolio requirement ranges from" in captions


def test_compare_standalone_table_is_folded_and_adds_up_to_the_hedging_benefit(app):
    app.switch_page("pages/compare.py").run()
    assert any(e.label == "Each position standing alone" for e in app.expander) and not app.dataframe
    app.session_state["compare_standalone"] = True
    app.run()
    ws = workspace(app)
    (table,) = (d.value for d in app.dataframe)
    benefit = hedging_benefit(ws.portfolio, ws.market)
    rows = len(benefit.standalone)
    assert list(table["position"])[:rows] == list(benefit.standalone["position"])
    alone, together, saved = (table.iloc[rows + i] for i in range(3))
    assert saved["position"] == "Hedging benefit (sum − book)"
    assert alone["portfolio_initial"] == pytest.approx(table["portfolio_initial"].iloc[:rows].sum())
    assert together["portfolio_initial"] == pytest.approx(portfolio_margin(ws.portfolio, ws.market).initial)
    assert saved["portfolio_initial"] == pytest.approx(benefit.initial) and benefit.initial > 0
    assert together["cross_initial"] == pytest.approx(cross_margin(ws.portfolio, ws.market).initial)
    assert saved["cross_initial"] == 0.0 and saved["cross_maintenance"] == 0.0


# -- the correlation shock, read from what margin.market.shock_correlation does ---------------------
@pytest.mark.parametrize("shock", [-1.0, -0.4, 0.0, 0.6, 1.0])
def test_correlation_shock_words_say_what_the_engine_does_to_every_correlation(shock):
    from margin.market import shock_correlation

    market = default_market()
    today = float(market.correlation.loc["BTC", "ETH"])
    shocked = float(shock_correlation(market.correlation, shock).loc["BTC", "ETH"])
    effect = scenario_text.corr_shock_effect(shock)
    if shock == -1.0:
        assert shocked == 0.0 and effect == "every correlation at 0"
        assert scenario_text.read_corr_shock(shock).startswith("At −1 every correlation falls to 0: hedges between coins break")
    elif shock < 0:
        assert shocked == pytest.approx(today * (1 + shock)) and effect == "every correlation at 60 % of today's"
    elif shock == 0:
        assert shocked == today and effect == "today's correlations" and scenario_text.corr_shock(shock) == "0"
    elif shock < 1:
        assert shocked == pytest.approx(today + shock * (1 - today))
        assert effect == "every correlation 60 % of the way from today's to 1"
    else:
        assert shocked == 1.0 and effect == "every correlation at 1"
    assert "-" not in scenario_text.corr_shock(shock)  # a true minus
    assert effect in scenario_text.read_jump("corr_shock", shock, "BTC -16.0%", "binding scenario changes")


def test_the_correlation_axis_and_slider_say_minus_one_means_every_correlation_falls_to_zero(app):
    from charts.shocks import CORR_SHOCK_TITLE

    assert "−1 = hedges break: every correlation falls to 0" in CORR_SHOCK_TITLE
    app.switch_page("pages/shocks.py").run()
    assert not app.exception and not errors(app)
    held = next(s for s in app.select_slider if s.label == "Correlation shock held at")
    assert held.format_func(-1.0) == "−1: hedges break (every correlation 0)"
    captions = [c.value for c in app.caption]
    assert scenario_text.read_corr_shock(0.0) in captions and scenario_text.CORR_SHOCK_SCALE in captions
    held.set_value(-0.4).run()
    assert scenario_text.read_corr_shock(-0.4) in [c.value for c in app.caption]


# -- the scenario grid against the binding scenario ------------------------------------------------
def test_worst_cell_names_no_volatility_row_when_every_row_loses_the_same():
    import pandas as pd

    flat = pd.DataFrame([[-10.0, 0.0, 10.0]] * 3, index=["vol up", "vol flat", "vol down"], columns=[-0.16, 0.0, 0.16])
    assert metrics.worst_cell(flat) == (None, -0.16, -10.0)
    assert "every volatility row" in scenario_text.read_worst_cell("BTC", -0.16, None, -10.0)
    curved = flat.copy()
    curved.loc["vol up", 0.16] = -12.0
    assert metrics.worst_cell(curved) == ("vol up", 0.16, -12.0)
    assert "with vol up" in scenario_text.read_worst_cell("BTC", 0.16, "vol up", -12.0)
    assert scenario_text.read_worst_cell("BTC", 0.08, "vol flat", -2e-11).startswith("No cell of the BTC grid loses money")


def test_binding_moves_are_read_from_the_engines_label():
    label = "worst combined move for this book: SOL -18.0%, ADA -17.6%, LINK -17.6%, DOGE -17.6% and 1 more"
    moves, complete = metrics.binding_moves(label, ["SOL", "XRP", "DOGE", "ADA", "LINK"])
    assert moves == {"SOL": pytest.approx(-0.18), "DOGE": pytest.approx(-0.176), "ADA": pytest.approx(-0.176),
                     "LINK": pytest.approx(-0.176)} and not complete
    moves, complete = metrics.binding_moves("ETH -16.0%, the others following by correlation (BTC +13.6%)",
                                            ["BTC", "ETH"])
    assert moves == {"ETH": pytest.approx(-0.16), "BTC": pytest.approx(0.136)} and complete
    assert metrics.binding_kind("joint combined book +0.625 x range, vol up") == ("joint", False)
    assert metrics.binding_kind("alone BTC extreme -3.000 x range, vol flat") == ("alone", True)
    assert metrics.binding_kind("sum of units") == ("sum", False)


def against(binding_move, cell_move, scenario_loss=7_469.0, segregated=25_129.0, kind="joint", extreme=False):
    return scenario_text.read_binding_against_grid("ETH", kind, extreme, binding_move, cell_move, 0.16,
                                          {"BTC": 14_074.0, "ETH": 11_056.0}, scenario_loss, segregated)


def test_the_binding_scenario_is_set_against_the_grids_worst_cell_from_the_numbers():
    assert "the opposite way from this grid's worst cell (+16.0 %)" in against(-0.16, 0.16)
    assert "a smaller move than this grid's worst cell (+16.0 %) in the same direction" in against(0.019, 0.16)
    assert "a larger move than this grid's worst cell (+8.0 %) in the same direction" in against(0.16, 0.08)
    assert "the same move as this grid's worst cell" in against(0.16, 0.16)
    assert "where this grid's worst cell is 0 %" in against(0.05, 0.0)
    # the offset: less, as much, more, from the two losses
    assert "loses $7,469, $17,660 less" in against(-0.1, 0.16)
    assert "loses as much" in against(-0.1, 0.16, scenario_loss=25_129.0)
    assert "$1,000 more" in against(-0.1, 0.16, scenario_loss=26_129.0)
    # no loss: nothing to set against; an extreme move outside the grid says so
    assert against(-0.1, None) == "" and against(-0.1, 0.16, scenario_loss=0.2) == ""
    assert "outside the grid's ±16.0 % columns" in against(-0.48, -0.16, extreme=True)
    # each unit margined alone and added up
    assert "part of that sum" in against(0.16, 0.16, scenario_loss=25_129.0, kind="alone")


def test_read_binding_names_add_ons_when_no_scenario_loses_and_the_sum_when_no_offset_counts():
    addons = [("basis add-on on BTC", 1_759.2), ("depeg add-on on USDC", 149.97)]
    zero = scenario_text.read_binding("BTC -16.0%", 0.0, addons)
    assert "no scenario sets" in zero and "all of its $1,909 is add-ons" in zero and "BTC -16.0%" not in zero
    assert "requirement is $0" in scenario_text.read_binding("BTC -16.0%", 1e-11, [])
    summed = scenario_text.read_binding("BTC -16.0%", 25_129.0, [("depeg add-on on USDC", 200.0)],
                               {"BTC": 14_074.0, "ETH": 11_055.0})
    assert summed.startswith("No offset counts here") and "the largest is BTC's, at BTC -16.0%" in summed
    joint = scenario_text.read_binding("worst combined move for this book: BTC -10.0%, ETH -1.9%", 7_469.0,
                              [("depeg add-on on USDC", 200.0)], {"BTC": 14_074.0, "ETH": 11_055.0})
    assert joint.endswith("BTC -10.0%, ETH -1.9% (a loss of $7,469, plus $200 of add-ons).")
    assert scenario_text.read_binding("BTC -16.0%") == "The portfolio requirement is set by this scenario: BTC -16.0%."


SAMPLE_NAMES = sorted(path.name for path in SAMPLES.glob("*.json"))


@pytest.mark.parametrize("preset", ["classroom", "deribit", "okx"])
@pytest.mark.parametrize("offsets", ["correlated", "segregated"])
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_no_sentence_under_the_grid_contradicts_the_grid_on_any_sample(name, offsets, preset):
    from views.samples import load_sample

    book, market = load_sample(name)
    pm = portfolio_margin(book, market, PORTFOLIO_PRESETS[preset].with_changes(offsets=offsets))
    unit = pm.details["binding_unit"]
    grid = pm.scenario_grids[unit]
    vol, move, pnl = metrics.worst_cell(grid)
    cell = scenario_text.read_worst_cell(unit, move, vol, pnl)
    losing = round(pnl) < 0
    rows_equal = bool((grid.nunique(axis=0) == 1).all())
    if rows_equal:
        assert "vol " not in cell and "vol " not in pm.binding_scenario  # no option: no volatility row binds
    losses = metrics.unit_losses(pm.breakdown)
    scenario_loss = pm.details["scenario_loss"]
    binding = scenario_text.read_binding(pm.binding_scenario, scenario_loss, metrics.addon_parts(pm.breakdown), losses)
    if not losing:
        assert cell.startswith("No cell")
        assert "no scenario sets" in binding or "no add-on applies" in binding  # add-ons, or nothing at all
        return
    kind, extreme = metrics.binding_kind(pm.details["binding_key"])
    moves, _ = metrics.binding_moves(pm.binding_scenario, list(pm.scenario_grids))
    assert unit in moves  # the binding unit's move is always in its label
    reading = scenario_text.read_binding_against_grid(unit, kind, extreme, moves[unit], move, metrics.grid_range(grid), losses,
                                             scenario_loss, pm.details["segregated_loss"], vol)
    b, c = moves[unit], move
    if abs(b - c) < 5e-4:
        assert "not" not in reading.split(".")[0]  # it agrees and says so
    else:  # it differs, names both moves as shown and says why
        assert text.percent(b, signed=True) in reading and text.percent(c, signed=True) in reading
        assert ("opposite way" in reading) == ((b > 0) != (c > 0))
        assert "cannot put every unit at its worst at once" in reading
    if kind == "joint":
        assert f"loses {text.money(scenario_loss)}" in reading


# -- initial against maintenance on Compare ------------------------------------------------------------
def test_initial_against_maintenance_is_read_from_each_modes_numbers():
    parts = {"linear": {"initial": 15_706.0, "maintenance": 2_481.0, "notional": 157_059.0, "rates": [0.0125, 0.02],
                        "leverages": [10.0, 10.0]}, "options": None, "borrows": None}
    rule = (0.15, 0.10, 0.075)
    reading = text.read_initial_vs_maintenance(parts, 15_706.0, 2_481.0, 9_970.0, 7_669.0, 1.3, "deribit", rule)
    assert "Cross margin asks $15,706 initial, 6.3× its $2,481 maintenance" in reading
    assert "notional / your leverage as initial (10x: $15,706 on $157,059 of notional)" in reading
    assert "tier rate of notional as maintenance (1.25 % to 2 %: $2,481)" in reading
    assert "Portfolio margin asks $9,970 initial, 1.3× its $7,669 maintenance" in reading
    assert "deribit's rule set sets initial at 1.3 × maintenance (its im_multiplier)" in reading
    # zero and equal and below, from the numbers
    none = text.read_initial_vs_maintenance({}, 0.0, 0.0, 0.0, 0.0, 1.3, "deribit", rule)
    assert "Cross margin asks no initial and no maintenance margin." in none
    assert "Portfolio margin asks no initial and no maintenance margin." in none
    assert "asks the same $1,000 initial and maintenance" in text.read_initial_vs_maintenance(
        {}, 1_000.0, 1_000.2, 0.0, 0.0, 1.0, "x", rule)
    assert "asks $500 initial, below its $1,000 maintenance" in text.read_initial_vs_maintenance(
        {}, 500.0, 1_000.0, 0.0, 0.0, 1.0, "x", rule)
    assert "asks $500 initial and no maintenance margin" in text.read_initial_vs_maintenance(
        {}, 500.0, 0.0, 0.0, 0.0, 1.0, "x", rule)


@pytest.mark.parametrize("name", ["01_naked_long_perp.json", "03_btc_eth_pair.json", "05_short_strangle.json",
                                  "07_diversified_alts.json"])
def test_compare_says_why_initial_and_maintenance_differ_with_the_engines_numbers(app, name):
    from margin.presets import cross_params, portfolio_params

    app.selectbox(key="sidebar_sample").set_value(name).run()
    app.switch_page("pages/compare.py").run()
    assert not app.exception and not errors(app)
    ws = workspace(app)
    assert ws.portfolio == load_portfolio(SAMPLES / name)
    cm, pm = cross_margin(ws.portfolio, ws.market), portfolio_margin(ws.portfolio, ws.market)
    rules = cross_params(ws.cross_preset)
    expected = text.read_initial_vs_maintenance(
        metrics.cross_parts(cm.breakdown, metrics.chosen_leverages(ws.portfolio, ws.cross_preset)), cm.initial,
        cm.maintenance, pm.initial, pm.maintenance, portfolio_params(ws.portfolio_preset).im_multiplier,
        ws.portfolio_preset, (rules.option_initial_base, rules.option_initial_floor, rules.option_maintenance_rate))
    assert expected in [c.value for c in app.caption]
    assert f"{cm.initial / cm.maintenance:.1f}× its {text.money(cm.maintenance)} maintenance" in expected
    assert f"{pm.initial / pm.maintenance:.1f}× its {text.money(pm.maintenance)} maintenance" in expected


@pytest.mark.parametrize("name", ["02_basis_trade.json", "03_btc_eth_pair.json"])
def test_shocks_reads_the_grid_and_the_binding_scenario_from_the_same_numbers(app, name):
    app.selectbox(key="sidebar_sample").set_value(name).run()
    app.switch_page("pages/shocks.py").run()
    assert not app.exception and not errors(app)
    ws = workspace(app)
    pm = portfolio_margin(ws.portfolio, ws.market)
    unit = pm.details["binding_unit"]
    vol, move, pnl = metrics.worst_cell(pm.scenario_grids[unit])
    captions = [c.value for c in app.caption]
    assert scenario_text.read_worst_cell(unit, move, vol, pnl) in captions
    losses = metrics.unit_losses(pm.breakdown)
    assert scenario_text.read_binding(pm.binding_scenario, pm.details["scenario_loss"], metrics.addon_parts(pm.breakdown),
                             losses) in captions
    if name.startswith("02"):  # a hedged basis trade: its scenarios lose nothing, its requirement is add-ons
        assert any("all of its" in c and "is add-ons" in c for c in captions)
        assert not any(c.startswith("The binding scenario") for c in captions)
    else:
        moves, _ = metrics.binding_moves(pm.binding_scenario, list(pm.scenario_grids))
        assert any(c.startswith(f"The binding scenario moves {unit} {text.percent(moves[unit], signed=True)}")
                   for c in captions)


def test_isolated_liquidation_names_the_sub_account_not_the_account():
    isolated = text.read_liquidation("isolated", "BTC", 80_166.0, 87_960.0, False)
    assert isolated.startswith("Under isolated margin the BTC sub-account is liquidated if BTC falls to $80,166")
    assert text.read_liquidation("cross", "BTC", 96_542.0, 87_960.0, False).startswith(
        "Under cross margin the account is liquidated if BTC rises to $96,542 (+9.8 % from $87,960)")
    assert "the BTC sub-account is already below" in text.read_liquidation("isolated", "BTC", 1.0, 1.0, True)


def test_the_spot_vol_reading_credits_volatility_with_what_it_adds():
    """The caption compares each mode's maintenance with volatility rising and held, at the same
    price: on the short strangle a deep put adds to both alike, and only the difference is read."""
    import pandas as pd

    from views.text import read_spot_vol

    prices = [60.0, 80.0, 100.0]
    held = pd.DataFrame({"price": prices, "maintenance_cross": [150.0, 120.0, 100.0],
                         "maintenance_portfolio": [60.0, 50.0, 40.0]})
    rising = held.assign(maintenance_cross=[152.0, 121.0, 100.0], maintenance_portfolio=[90.0, 77.0, 40.0])
    sentence = read_spot_vol(rising, held, 100.0)
    assert "adds $1 to cross maintenance and adds $27 to portfolio maintenance" in sentence
    assert "Portfolio margin feels it more" in sentence
    assert sentence.startswith("For a fall of about 20 % (a test point: $80.00, 20.0 % below today)")
    swapped = read_spot_vol(held.assign(maintenance_cross=[160.0, 150.0, 100.0]), held, 100.0)
    assert "Cross margin feels it more" in swapped
    assert "alike" in read_spot_vol(held, held, 100.0)


def test_a_distance_reads_an_account_below_maintenance_and_one_a_hair_from_it():
    """A user walk: an account already below maintenance showed "+0.0 % · 0.0 daily σ" under today's price, and
    one at 0.03 % "−0.0 %" and "0.0 daily standard deviations"."""
    assert text.distance_delta(0.0, 0.0, already=True) == "below maintenance now"
    assert text.distance_delta(-0.0003, 0.01) == "within 0.1 % of today's price"
    assert text.distance_delta(-0.0894, 3.06) == "−8.9 % · 3.1 daily σ"
    assert text.distance_delta(None, None) is None
    assert text.read_distance(-0.0003, 0.01, 0.029, 2.0) == ("That is within 0.1 % of today's price: almost any "
                                                             "fall liquidates it.")
    assert "one daily σ at today's volatility = 2.9 %" in text.read_distance(-0.0894, 3.06, 0.029, 900.0)


def test_the_liquidation_page_reads_the_spot_vol_slider_from_both_curves(app):
    app.switch_page("pages/liquidation.py").run()
    app.slider(key="liq_elasticity").set_value(1.5).run()
    assert not app.exception
    assert any("against the same price with volatility unchanged" in c.value for c in app.caption)


def test_the_view_settings_of_liquidation_and_shocks_survive_a_visit_to_another_page(app):
    """A user walk: Liquidation's asset and co-move reset after a look at Build (Streamlit forgets a widget's
    value on a run that does not draw it); kept now (ui.page.KEPT_INPUTS), as are Shocks' held shocks."""
    app.switch_page("pages/liquidation.py").run()
    app.selectbox(key="liq_asset").select("ETH").run()
    app.checkbox(key="liq_co_move").check().run()
    app.slider(key="liq_elasticity").set_value(1.5).run()
    app.switch_page("pages/shocks.py").run()
    app.select_slider(key="shock_fixed_vol_mult").set_value(2.0).run()
    assert not app.exception
    app.switch_page("pages/build.py").run()
    app.switch_page("pages/liquidation.py").run()
    assert not app.exception
    assert (app.selectbox(key="liq_asset").value, app.checkbox(key="liq_co_move").value,
            app.slider(key="liq_elasticity").value) == ("ETH", True, 1.5)
    ws = workspace(app)
    expected = liquidation_price(ws.portfolio, ws.market, "ETH", "portfolio", co_move=True, spot_vol_elasticity=1.5)
    assert metric_values(app)["Portfolio liquidation price"] == text.price(expected)
    app.switch_page("pages/shocks.py").run()
    assert app.select_slider(key="shock_fixed_vol_mult").value == 2.0
    # A kept asset the book no longer holds starts afresh, with no error.
    app.selectbox(key="sidebar_sample").set_value("05_short_strangle.json").run()
    app.switch_page("pages/liquidation.py").run()
    assert not app.exception and app.selectbox(key="liq_asset").value == "BTC"
