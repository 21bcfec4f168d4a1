"""The share link: ?book= restores the same book, market and requirements, and the rest of the query
string the whole view (rule sets, offsets, presenter mode, lesson and step); a bad link is refused whole,
with a sentence, never a traceback."""

import dataclasses
import itertools
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from margin import PortfolioError, cross_margin, default_market, load_portfolio, portfolio_margin
from margin.io import apply_market_overrides, decode_share_token, encode_share_token
from margin.presets import CROSS_PRESETS, PORTFOLIO_PRESETS, portfolio_params
from ui import state
from views import link, text

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SAMPLES = ROOT / "sample_portfolios"
TIMEOUT = 30


def open_link(token: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["book"] = token
    at.run()
    assert not at.exception
    return at


def shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("sample", ["04_covered_call.json", "07_diversified_alts.json"])
def test_a_shared_link_restores_the_book_the_market_and_the_requirements(sample):
    book = load_portfolio(SAMPLES / sample)
    overrides = {"vols": {book.positions[0].asset: 1.2}, "prices": {"BTC": 95_000.0}}
    at = open_link(encode_share_token(book, overrides))
    assert not at.error
    market = apply_market_overrides(default_market(), overrides)
    workspace = at.session_state["workspace"]
    assert workspace.portfolio == book
    assert workspace.market == market
    at.switch_page("pages/compare.py").run()
    numbers = shown(at)
    cm, pm = cross_margin(book, market), portfolio_margin(book, market)
    assert numbers["Cross initial margin"] == text.money(cm.initial)
    assert numbers["Cross maintenance margin"] == text.money(cm.maintenance)
    assert numbers["Portfolio initial margin"] == text.money(pm.initial)
    assert numbers["Portfolio maintenance margin"] == text.money(pm.maintenance)


def test_the_link_follows_the_book_as_it_is_edited():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    next(s for s in at.slider if s.label.startswith("Size")).set_value(3.0).run()
    restored = decode_share_token(at.query_params["book"])
    assert restored.portfolio == at.session_state["workspace"].portfolio
    assert restored.portfolio.positions[0].qty == pytest.approx(3.0)


def test_a_link_from_one_session_opens_the_same_numbers_in_another():
    first = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    next(n for n in first.number_input if n.label == "ETH volatility (% a year)").set_value(90.0).run()
    first.switch_page("pages/compare.py").run()
    second = open_link(first.query_params["book"])
    second.switch_page("pages/compare.py").run()
    assert shown(second) == shown(first)
    assert second.session_state["workspace"].market.vols["ETH"] == pytest.approx(0.9)


@pytest.mark.parametrize("token", ["not-a-token!!", "eJzLSM3JyQcABiwCFQ", "A" * 50_000])
def test_a_bad_link_shows_the_reason_and_keeps_the_default_book(token):
    at = open_link(token)
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and "shared link could not be opened" in messages[0]
    assert at.session_state["workspace"].portfolio == load_portfolio(SAMPLES / "03_btc_eth_pair.json")


# -- the whole view: fast round trips of the query string ------------------------------------------
BOOK = load_portfolio(SAMPLES / "07_diversified_alts.json")
OVERRIDES = {"prices": {"SOL": 150.0}, "vols": {"XRP": 0.9}}
TOKEN = encode_share_token(BOOK, OVERRIDES)


def _normalised(view: link.View) -> link.View:
    """A view as decode returns it: offsets equal to the preset's own read as "the preset's own" (None)."""
    own = PORTFOLIO_PRESETS[view.portfolio_preset].offsets
    return dataclasses.replace(view, offsets=None if view.offsets == own else view.offsets)


@pytest.mark.parametrize(("cross", "portfolio"), list(itertools.product(CROSS_PRESETS, PORTFOLIO_PRESETS)))
def test_every_view_round_trips_through_the_query_string(cross, portfolio):
    for offsets, presenter, (lesson, step) in itertools.product(
            (None, "correlated", "segregated"), (False, True), ((None, None), ("hedge", 1), ("correlation", 4))):
        view = link.View(TOKEN, cross, portfolio, offsets, presenter, lesson, step)
        params = link.encode(view)
        assert params[link.OFFSETS] == offsets or PORTFOLIO_PRESETS[portfolio].offsets  # always explicit
        assert (link.PRESENTER in params) is presenter and (link.LESSON in params) is (lesson is not None)
        decoded, document = link.decode(params)
        assert decoded == _normalised(view)
        assert link.encode(decoded) == params  # and back to the same link
        assert document.portfolio == BOOK and document.market_overrides == OVERRIDES


def test_a_link_without_a_book_keeps_the_default_book_and_defaults_fill_what_it_does_not_name():
    view, document = link.decode({"portfolio": "span"})
    assert document is None and view == link.View(portfolio_preset="span")
    assert link.decode({})[0] == link.View()
    assert link.decode({"term": "margin-ratio", "book": TOKEN})[1].portfolio == BOOK  # other parameters ignored


def test_the_workspace_from_a_link_computes_with_the_linked_rule_sets():
    params = link.encode(link.View(TOKEN, "binance", "okx", "segregated", True))
    workspace, view = state.from_link(params)
    assert (workspace.cross_preset, workspace.portfolio_preset, workspace.portfolio_offsets) == (
        "binance", "okx", "segregated")
    assert workspace.portfolio == BOOK and view.presenter
    assert workspace.market == apply_market_overrides(default_market(), OVERRIDES)
    assert workspace.portfolio_rules == portfolio_params("okx").with_changes(offsets="segregated")
    assert workspace.sample == state.CUSTOM  # the market was changed: not sample 07 as shipped
    shipped, _ = state.from_link(link.encode(link.View(encode_share_token(BOOK))))
    assert shipped.sample == "07_diversified_alts.json" and shipped.portfolio_offsets == "correlated"


@pytest.mark.parametrize(("params", "says"), [
    ({"cross": "ftx"}, "cross margin preset 'ftx' is not one of hyperliquid, binance, deribit"),
    ({"portfolio": "cme", "book": TOKEN}, "portfolio margin preset 'cme' is not one of classroom, deribit, okx, span"),
    ({"portfolio": "okx", "v": "3"}, "link version '3' is not one of 1, 2"),
    ({"offsets": "partial"}, "offsets setting 'partial' is not one of correlated, segregated"),
    ({"presenter": "maybe"}, "presenter must be 'on' or 'off'"),
    ({"book": "%%%not-a-book"}, "the 'book' parameter is damaged"),
    ({"book": ""}, "the 'book' parameter is empty"),
    ({"book": "A" * 50_000}, "too long"),
    ({"book": "eJzLSM3JyQcABiwCFQ"}, "share link"),
])
def test_a_malformed_link_is_refused_with_a_sentence(params, says):
    with pytest.raises(PortfolioError) as caught:
        link.decode(params)
    message = str(caught.value)
    assert message.startswith("share link") and says in message and "Traceback" not in message
    assert len(message) < 300


def test_a_long_bad_value_is_shortened_in_the_message():
    with pytest.raises(PortfolioError) as caught:
        link.decode({"cross": "x" * 5_000})
    assert len(str(caught.value)) < 200


# -- the whole view through the app ---------------------------------------------------------------
def open_view(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at


def test_a_full_view_link_restores_rule_sets_offsets_and_presenter_mode_and_their_numbers():
    params = link.encode(link.View(TOKEN, "binance", "okx", "correlated", True))  # okx's own is segregated
    at = open_view(params)
    assert not at.error
    assert not [i for i in at.info if "This link was made before" in i.value]  # a current link: nothing to say
    assert at.selectbox(key="sidebar_cross_preset").value == "binance"
    assert at.selectbox(key="sidebar_portfolio_preset").value == "okx"
    assert at.radio(key="sidebar_offsets").value == "correlated"
    assert at.toggle(key="sidebar_presenter").value is True and at.session_state["presenter"] is True
    assert {name: at.query_params[name] for name in params} == params  # the address bar keeps the link
    at.switch_page("pages/compare.py").run()
    market = apply_market_overrides(default_market(), OVERRIDES)
    rules = portfolio_params("okx").with_changes(offsets="correlated")
    cm, pm = cross_margin(BOOK, market, "binance"), portfolio_margin(BOOK, market, rules)
    numbers = shown(at)
    assert numbers["Cross initial margin"] == text.money(cm.initial)
    assert numbers["Portfolio initial margin"] == text.money(pm.initial)
    assert numbers["Portfolio maintenance margin"] == text.money(pm.maintenance)
    assert pm.initial != portfolio_margin(BOOK, market, "okx").initial  # the offsets choice counts


def test_the_link_follows_the_sidebar_and_reopens_the_same_compare_page():
    first = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    first.selectbox(key="sidebar_cross_preset").set_value("binance").run()
    first.selectbox(key="sidebar_portfolio_preset").set_value("okx").run()
    first.radio(key="sidebar_offsets").set_value("segregated").run()
    first.toggle(key="sidebar_presenter").set_value(True).run()
    first.switch_page("pages/compare.py").run()
    linked = {name: first.query_params[name] for name in link.SETTINGS}
    assert linked[link.CROSS] == "binance" and linked[link.OFFSETS] == "segregated" and linked[link.PRESENTER] == "on"
    second = open_view(linked)
    second.switch_page("pages/compare.py").run()
    assert shown(second) == shown(first)
    first.toggle(key="sidebar_presenter").set_value(False).run()
    assert link.PRESENTER not in first.query_params  # off is the default: the link drops it


def test_the_build_page_shows_the_whole_share_link():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.selectbox(key="sidebar_portfolio_preset").set_value("span").run()
    code = next(m.value for m in at.markdown if "?book=" in m.value).strip("`")
    view, document = link.decode(dict(part.split("=", 1) for part in code.split("?", 1)[1].split("&")))
    assert view.portfolio_preset == "span" and document.portfolio == at.session_state["workspace"].portfolio


@pytest.mark.parametrize("params", [{"cross": "ftx"}, {"book": TOKEN, "offsets": "partial"},
                                    {"book": TOKEN, "presenter": "maybe"}])
def test_a_link_with_a_bad_setting_is_refused_whole_with_the_reason(params):
    at = open_view(params)
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and "shared link could not be opened" in messages[0] and "Traceback" not in messages[0]
    workspace = at.session_state["workspace"]
    assert workspace.portfolio == load_portfolio(SAMPLES / "03_btc_eth_pair.json")
    assert (workspace.cross_preset, workspace.portfolio_preset, workspace.offsets) == ("hyperliquid", "classroom", None)
    assert at.query_params[link.CROSS] == "hyperliquid"  # the address bar now describes what is shown


# -- links made before version 2 (issue 18): "deribit" was the teaching rule set now called "classroom" --------
OLD_LINK = {"book": TOKEN, "cross": "binance", "portfolio": "deribit", "offsets": "segregated"}  # no "v"


def test_an_old_deribit_link_opens_the_classroom_rule_set_its_sender_saw_and_says_so():
    view, document = link.decode(OLD_LINK)
    assert (view.cross_preset, view.portfolio_preset, view.offsets) == ("binance", "classroom", "segregated")
    assert "now called “classroom”" in view.notice and document.portfolio == BOOK
    assert link.encode(view)[link.VERSION] == link.CURRENT_VERSION and link.encode(view)[link.PORTFOLIO] == "classroom"
    assert link.decode({**OLD_LINK, "offsets": "correlated"})[0].offsets is None  # classroom's own
    current, _ = link.decode({**OLD_LINK, "v": "2"})  # a current link's deribit is Deribit's
    assert current.portfolio_preset == "deribit" and current.offsets is None and current.notice is None
    old_okx, _ = link.decode({**OLD_LINK, "portfolio": "okx", "offsets": "correlated"})
    assert (old_okx.portfolio_preset, old_okx.offsets) == ("okx", "correlated") and "differ" in old_okx.notice
    assert link.decode({"portfolio": "span"})[0].notice is None  # span's rules did not change
    assert link.decode({"cross": "deribit"})[0].notice is None  # nor the deribit cross preset's


def test_an_old_deribit_link_shows_its_notice_and_the_numbers_its_sender_saw():
    at = open_view(OLD_LINK)
    assert not at.error
    notes = [i.value for i in at.info]
    assert any("now called “classroom”" in note for note in notes), notes
    assert at.selectbox(key="sidebar_portfolio_preset").value == "classroom"
    assert at.query_params[link.PORTFOLIO] == "classroom" and at.query_params[link.VERSION] == link.CURRENT_VERSION
    at.switch_page("pages/compare.py").run()
    market = apply_market_overrides(default_market(), OVERRIDES)
    pm = portfolio_margin(BOOK, market, portfolio_params("classroom").with_changes(offsets="segregated"))
    assert shown(at)["Portfolio maintenance margin"] == text.money(pm.maintenance)
    assert any("now called “classroom”" in i.value for i in at.info)  # on every page until the book is replaced


def test_a_link_to_a_lesson_step_keeps_its_own_book_and_settings():
    edited = dataclasses.replace(BOOK, title="Edited during the lesson")
    params = link.encode(link.View(encode_share_token(edited), "binance", "okx", "segregated", False, "hedge", 2))
    at = open_view(params)  # opened on the default page: it goes to Learn
    assert at.title[0].value == "Learn"
    assert f"#### 2. {__import__('lessons.catalogue').catalogue.BY_ID['hedge'].steps[1].title}" in [m.value for m in at.markdown]
    workspace = at.session_state["workspace"]
    assert workspace.portfolio == edited  # not replaced by the lesson's sample
    assert (workspace.cross_preset, workspace.portfolio_preset, workspace.portfolio_offsets) == (
        "binance", "okx", "segregated")
    assert (at.query_params["lesson"], at.query_params["step"]) == ("hedge", "2")
    assert any("lesson's steps and answers refer to its sample" in i.value for i in at.info)
