"""The shared sidebar through AppTest: it shows the workspace on every page, and the offsets setting
(correlated | segregated) of the portfolio rule set reaches every number the app computes."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from margin import liquidation_price, load_portfolio, portfolio_margin
from margin.presets import PORTFOLIO_PRESETS, portfolio_params
from tests.app_support import opened_app
from ui import engine_cache, sidebar
from views import text
from views.rules import portfolio_rules

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SAMPLES = ROOT / "sample_portfolios"
TIMEOUT = 30
PAGES = ["pages/compare.py", "pages/liquidation.py", "pages/build.py", "pages/liquidation.py", "pages/compare.py",
         "pages/shocks.py", "pages/learn.py", "pages/build.py"]


@pytest.fixture
def app() -> AppTest:
    return opened_app(TIMEOUT)


def shown_sidebar(at: AppTest) -> tuple:
    return (at.selectbox(key="sidebar_sample").value, at.selectbox(key="sidebar_cross_preset").value,
            at.selectbox(key="sidebar_portfolio_preset").value, at.radio(key="sidebar_offsets").value,
            at.toggle(key="sidebar_presenter").value)


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def segregated(preset: str = "classroom"):
    return portfolio_params(preset).with_changes(offsets="segregated")


def test_the_sidebar_shows_the_workspace_after_every_page_switch(app):
    app.selectbox(key="sidebar_sample").set_value("07_diversified_alts.json").run()
    app.selectbox(key="sidebar_cross_preset").set_value("binance").run()
    app.selectbox(key="sidebar_portfolio_preset").set_value("okx").run()
    app.radio(key="sidebar_offsets").set_value("segregated").run()
    app.toggle(key="sidebar_presenter").set_value(True).run()
    chosen = ("07_diversified_alts.json", "binance", "okx", "segregated", True)
    for page in PAGES:
        app.switch_page(page).run()
        assert not app.exception, page
        assert shown_sidebar(app) == chosen, page
    app.selectbox(key="sidebar_sample").set_value("01_naked_long_perp.json").run()
    assert app.session_state["workspace"].portfolio == load_portfolio(SAMPLES / "01_naked_long_perp.json")


def test_offsets_start_at_the_presets_own_setting_and_say_what_they_change(app):
    ws = app.session_state["workspace"]
    own = PORTFOLIO_PRESETS[ws.portfolio_preset].offsets
    assert ws.offsets is None and app.radio(key="sidebar_offsets").value == own == ws.portfolio_offsets
    captions = [c.value for c in app.sidebar.caption]
    assert sidebar.offsets_reading(own, ws.portfolio_preset) in captions
    app.radio(key="sidebar_offsets").set_value("segregated").run()
    reading = sidebar.offsets_reading("segregated", ws.portfolio_preset)
    assert reading in [c.value for c in app.sidebar.caption]
    assert "margined on its own" in reading and f"{ws.portfolio_preset} itself uses {own}" in reading
    assert "offset each other" in sidebar.offsets_reading("correlated", ws.portfolio_preset)


def test_segregated_offsets_drive_the_compare_page_and_back(app):
    app.switch_page("pages/compare.py").run()
    ws = app.session_state["workspace"]
    correlated = metric_values(app)
    app.radio(key="sidebar_offsets").set_value("segregated").run()
    assert app.session_state["workspace"].portfolio_rules == segregated()
    pm = portfolio_margin(ws.portfolio, ws.market, segregated())
    shown = metric_values(app)
    assert shown["Portfolio initial margin"] == text.money(pm.initial)
    assert shown["Portfolio maintenance margin"] == text.money(pm.maintenance)
    assert shown["Portfolio initial margin"] != correlated["Portfolio initial margin"]  # the hedge stops counting
    assert shown["Cross initial margin"] == correlated["Cross initial margin"]  # cross margin has no such setting
    app.radio(key="sidebar_offsets").set_value("correlated").run()
    assert metric_values(app) == correlated  # the cache keys tell the two rule sets apart


def test_the_sidebar_summary_and_the_other_pages_follow_the_offsets(app):
    app.radio(key="sidebar_offsets").set_value("segregated").run()
    ws = app.session_state["workspace"]
    pm = portfolio_margin(ws.portfolio, ws.market, segregated())
    figures = " ".join(m.value for m in app.sidebar.markdown)
    assert f"portfolio **{text.money(pm.maintenance)}**" in figures
    assert f"portfolio **{text.money(pm.initial)}**" in figures
    app.switch_page("pages/liquidation.py").run()
    assert not app.exception
    expected = liquidation_price(ws.portfolio, ws.market, "BTC", "portfolio", segregated())
    assert metric_values(app)["Portfolio liquidation price"] == text.price(expected)
    assert expected != liquidation_price(ws.portfolio, ws.market, "BTC", "portfolio")
    app.switch_page("pages/shocks.py").run()
    assert not app.exception and not app.error
    app.switch_page("pages/learn.py").run()
    app.session_state["learn_tab"] = "Methodology"
    app.run()
    assert any(m.value == "**Segregated units (active)**" for m in app.markdown)


def test_another_portfolio_preset_starts_from_its_own_offsets(app):
    app.radio(key="sidebar_offsets").set_value("segregated").run()
    app.selectbox(key="sidebar_portfolio_preset").set_value("span").run()
    ws = app.session_state["workspace"]
    assert ws.offsets is None and ws.portfolio_offsets == PORTFOLIO_PRESETS["span"].offsets
    assert app.radio(key="sidebar_offsets").value == PORTFOLIO_PRESETS["span"].offsets
    app.switch_page("pages/compare.py").run()
    expected = portfolio_margin(ws.portfolio, ws.market, "span").initial
    assert metric_values(app)["Portfolio initial margin"] == text.money(expected)


def test_the_preset_menus_show_each_presets_label():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    menu = at.selectbox(key="sidebar_portfolio_preset")
    assert menu.value == "classroom" and list(menu.options) == [p.title for p in PORTFOLIO_PRESETS.values()]
    assert "Classroom (Deribit-style grid, correlated offsets)" in menu.options
    assert "deribit and okx: the venues' published rules" in menu.help


def test_cached_calls_resolve_a_preset_name_to_the_rule_set_in_force():
    assert portfolio_rules("okx") is PORTFOLIO_PRESETS["okx"]
    assert portfolio_rules("okx", "segregated") is PORTFOLIO_PRESETS["okx"]  # okx's own setting
    assert portfolio_rules("okx", "correlated") is portfolio_rules("okx", "correlated")
    assert portfolio_rules("classroom", "segregated") == segregated("classroom")
    assert engine_cache.rules_key(portfolio_rules("okx", "correlated")) != engine_cache.rules_key(PORTFOLIO_PRESETS["okx"])
    assert engine_cache.rules_for(PORTFOLIO_PRESETS["span"]) is PORTFOLIO_PRESETS["span"]
    assert engine_cache.rules_for("span") is PORTFOLIO_PRESETS["span"]  # a name: the preset as published
