"""The Learn page: guided lessons checked by the engine at answer time, lesson links, the glossary,
the methodology drawn from the active rule sets, and the presenter setting."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from charts import compare, style
from lessons import catalogue, framework
from margin import (
    CROSS_PRESETS,
    PORTFOLIO_PRESETS,
    Option,
    Portfolio,
    Spot,
    cross_margin,
    hedging_benefit,
    liquidation_price,
    load_portfolio,
    portfolio_margin,
)
from margin.history import annualised_vols, parse_price_history
from margin.instruments import InversePerp
from tests.figures import drawn_charts
from views import glossary, methodology
from views.samples import load_sample

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SAMPLES = ROOT / "sample_portfolios"
TIMEOUT = 60

REQUIRED_TERMS = (
    "initial margin", "maintenance margin", "margin ratio", "equity", "free collateral", "risk unit",
    "scenario grid", "binding scenario", "haircut", "basis", "depeg", "liquidation price", "VaR",
    "correlation shock", "vol multiplier", "isolated margin", "cross margin", "portfolio margin",
    "hedging benefit", "scan range", "extreme move", "short-option minimum", "daily standard deviation",
)


# -- the engine's answers, computed here independently of lessons/ ----------------------------------
def _same(a, b, scale) -> bool:
    return abs((a or 0.0) - (b or 0.0)) <= 0.005 * scale


def _rise(before, after) -> float:
    return (after / before - 1) * 100


def expected_answers(lesson_id: str, cross: str = "hyperliquid", pm: str = "classroom") -> list:
    """Per question: a number (numeric questions) or the index of the correct option."""
    lesson = catalogue.BY_ID[lesson_id]
    book, market = load_sample(lesson.sample)
    if lesson_id == "contagion":
        today = market.prices["SOL"]
        c = liquidation_price(book, market, "SOL", "cross", cross) or 0.0
        i = liquidation_price(book, market, "SOL", "isolated", cross) or 0.0
        first = 2 if _same(c, i, today) else (0 if c > i else 1)
        rallied = market.with_prices({"HYPE": market.prices["HYPE"] * 1.3})
        return [first, liquidation_price(book, rallied, "SOL", "cross", cross)]
    if lesson_id == "hedge":
        rows = portfolio_margin(book, market, pm).breakdown
        parts = [rows.loc[rows["component"] == k, "maintenance"].clip(lower=0).sum()
                 for k in ("scenario loss", "short-option minimum", "depeg add-on", "basis add-on")]
        # the hedging benefit (docs/model.md): positions standing alone minus the book, within portfolio margin
        return [hedging_benefit(book, market, "portfolio", pm).initial, max(range(4), key=parts.__getitem__)]
    if lesson_id == "vol-jump":
        doubled = market.shocked(vol_mult=2)
        p = _rise(portfolio_margin(book, market, pm).maintenance, portfolio_margin(book, doubled, pm).maintenance)
        c = _rise(cross_margin(book, market, cross).maintenance, cross_margin(book, doubled, cross).maintenance)
        return [p, 1 if p > c else 0]
    if lesson_id in ("correlation", "diversification"):
        shock = -1.0 if lesson_id == "correlation" else 1.0
        broken = market.shocked(corr_shock=shock)
        p0, p1 = portfolio_margin(book, market, pm).maintenance, portfolio_margin(book, broken, pm).maintenance
        c0, c1 = cross_margin(book, market, cross).maintenance, cross_margin(book, broken, cross).maintenance
        if lesson_id == "correlation":
            which = {(True, True): 0, (False, True): 1, (True, False): 2, (False, False): 3}[
                (c1 > c0 * 1.005, p1 > p0 * 1.005)]
            return [which, p1 / p0]
        low = cross_margin(book, market.shocked(corr_shock=-1.0), cross).maintenance
        return [_rise(p0, p1), 1 if _same(low, c1, c1) else 0]
    if lesson_id == "slow-bleed":
        today = market.prices["ETH"]
        c0, c1 = (liquidation_price(book, market, "ETH", "cross", cross, spot_vol_elasticity=k) for k in (0, 2))
        p0, p1 = (liquidation_price(book, market, "ETH", "portfolio", pm, spot_vol_elasticity=k) for k in (0, 2))
        moved = (not _same(c0, c1, today), not _same(p0, p1, today))
        return [{(True, False): 0, (False, True): 1, (True, True): 2, (False, False): 3}[moved], p1]
    if lesson_id == "haircuts-depeg":
        rows = portfolio_margin(book, market, pm).breakdown
        depeg = rows.loc[rows["component"] == "depeg add-on", "maintenance"].sum()
        counted = [cross_margin(book.with_collateral({a: 50_000 / market.prices[a]}), market, "binance").equity
                   for a in ("USDT", "BTC", "SOL", "DOGE")]
        return [depeg, min(range(4), key=counted.__getitem__)]
    if lesson_id == "binance":
        binance = CROSS_PRESETS["binance"]
        full = cross_margin(book, market, binance.with_changes(haircuts={}, default_haircut=0.0)).equity
        held = sum(p.qty for p in book.positions if isinstance(p, Spot) and p.asset == "BTC")
        unhedged = book.with_positions([p for p in book.positions if not isinstance(p, Spot)]).with_collateral(
            {"USDC": book.collateral["USDC"] + held * market.prices["BTC"]})  # sold for USDC, not deleted
        b_moved = not _same(cross_margin(book, market, binance).initial, cross_margin(unhedged, market, binance).initial,
                            cross_margin(book, market, binance).initial)
        p_moved = not _same(portfolio_margin(book, market, pm).initial, portfolio_margin(unhedged, market, pm).initial,
                            portfolio_margin(unhedged, market, pm).initial)
        which = {(True, False): 0, (False, True): 1, (True, True): 2, (False, False): 3}[(b_moved, p_moved)]
        return [full - cross_margin(book, market, binance).equity, which]
    if lesson_id == "costs-more":
        c, p = cross_margin(book, market, cross).initial, portfolio_margin(book, market, pm).initial
        return [1 if p > c else 0, abs(p - c)]
    if lesson_id == "coin-margined":
        perp = next(p for p in book.positions if isinstance(p, InversePerp))
        today, face = market.prices["BTC"], perp.usd_size
        fallen = market.with_prices({"BTC": today * 0.84})
        lost = cross_margin(Portfolio([perp]), market, cross).equity - cross_margin(Portfolio([perp]), fallen,
                                                                                  cross).equity
        backed = Portfolio([perp], {"BTC": face / today})
        ratio = portfolio_margin(backed, market, pm).maintenance / portfolio_margin(Portfolio([perp]), market,
                                                                                    pm).maintenance
        usdc = Portfolio([perp], {"USDC": face})
        first = 0 if liquidation_price(backed, market, "BTC", "cross", cross) > liquidation_price(
            usdc, market, "BTC", "cross", cross) else 1
        return [100 * lost / (0.84 * today) * today / face, ratio, first]  # the loss in BTC, per face in BTC
    if lesson_id == "crash-replay":
        return _crash_answers(book, market, cross, pm)
    raise AssertionError(lesson_id)


def _crash_answers(book, market, cross, pm) -> list:
    """Each replayed day as its own Market (prices by the closes' returns from today's, vols the EWMA of the
    closes up to that day, margin.history), priced one day at a time with the single-book functions."""
    def day(path, start, when):
        vols = annualised_vols(path.loc[:when], method="ewma")
        moved = market.with_prices({a: market.prices[a] * path.loc[when, a] / path.loc[start, a] for a in ("BTC", "ETH")})
        moved = moved.with_vols({a: float(vols[a]) for a in ("BTC", "ETH")})
        return cross_margin(book, moved, cross), portfolio_margin(book, moved, pm)

    march = parse_price_history(ROOT / "sample_data" / "episodes" / "2020-03_covid_crash.csv")
    (c0, p0), (c1, p1) = day(march, "2020-03-05", "2020-03-11"), day(march, "2020-03-05", "2020-03-12")
    rose = (c1.maintenance > 1.005 * c0.maintenance, p1.maintenance > 1.005 * p0.maintenance)
    which = {(True, False): 0, (False, True): 1, (True, True): 2, (False, False): 3}[rose]
    may = parse_price_history(ROOT / "sample_data" / "episodes" / "2021-05_china_selloff.csv")
    first = {}
    for when in may.loc["2021-05-09":"2021-05-31"].index:
        for mode, result in zip(("cross", "portfolio"), day(may, "2021-05-09", when), strict=True):
            if mode not in first and result.equity < result.maintenance:
                first[mode] = when
    c, p = first.get("cross"), first.get("portfolio")
    who = 3 if c is None and p is None else 0 if p is None or (c is not None and c < p) else 1 if c is None or p < c else 2
    return [which, p1.maintenance, who]


# -- helpers --------------------------------------------------------------------------------------
def open_lesson(lesson_id: str, step: int | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lesson"] = lesson_id
    if step is not None:
        at.query_params["step"] = str(step)
    at.run()
    assert not at.exception, at.exception
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def answer(at: AppTest, lesson: framework.Lesson, index: int, value) -> tuple[list[str], list[str]]:
    """Enter ``value`` for question ``index``, press Check; this question's (successes, warnings) on the page."""
    question = lesson.questions[index]
    key = f"learn_answer_{lesson.id}_{index}"
    if question.is_choice:
        at.radio(key=key).set_value(value)
    else:
        at.number_input(key=key).set_value(float(value))
    at.button(key=f"learn_check_{lesson.id}_{index}").click().run()
    assert not at.exception, at.exception
    message = at.session_state[f"learn_feedback_{lesson.id}_{index}"][1].message
    return ([s.value for s in at.success if s.value == message],
            [w.value for w in at.warning if w.value == message])


def latex_text(at: AppTest) -> str:
    return "\n".join(element.value for element in at.latex)


def plotly_spec(at: AppTest) -> dict:
    return drawn_charts(at)[0].spec


# -- lessons end to end ---------------------------------------------------------------------------
def test_there_are_at_least_seven_lessons_each_on_a_sample_with_steps_and_questions():
    assert len(catalogue.LESSONS) >= 7
    for lesson in catalogue.LESSONS:
        assert (SAMPLES / lesson.sample).is_file()
        assert len(lesson.steps) >= 3 and lesson.questions
        assert any(step.control is not None for step in lesson.steps), lesson.id
        for step in lesson.steps:
            assert step.look and step.why


@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in catalogue.LESSONS])
def test_each_lesson_runs_end_to_end_and_checks_answers_with_the_engine(lesson_id):
    lesson = catalogue.BY_ID[lesson_id]
    rules = lesson.rules
    at = open_lesson(lesson_id, 1)
    assert at.session_state["workspace"].portfolio == load_portfolio(SAMPLES / lesson.sample)
    ws = at.session_state["workspace"]
    assert (ws.cross_preset, ws.portfolio_preset, ws.portfolio_offsets) == (rules.cross, rules.portfolio,
                                                                             rules.offsets)
    assert any(f"This lesson uses {rules.cross} / {rules.portfolio}" in c.value for c in at.caption)
    for number in range(1, lesson.n_steps + 1):
        assert not at.exception and not errors(at), (number, errors(at))
        assert at.query_params["step"] == str(number)
        headings = [m.value for m in at.markdown]
        if number <= len(lesson.steps):
            step = lesson.steps[number - 1]
            assert f"#### {number}. {step.title}" in headings
            look, _, why = framework.step_text(lesson, number - 1, rules.cross, rules.portfolio_params)
            assert f"**Look at** · {look}" in headings and f"**What happens and why** · {why}" in headings
            if step.control is not None:  # the control's live readout is on the page, computed by the engine
                at.slider(key=f"learn_control_{lesson.id}_{number - 1}").set_value(step.control.maximum).run()
                assert not at.exception and not errors(at)
                readout = framework.read(lesson, number - 1, step.control.maximum, rules.cross, rules.portfolio_params)
                shown = {m.label: m.value for m in at.metric}
                for label, value in readout.metrics:
                    assert shown[label] == value
            at.button(key="learn_next").click().run()
        else:
            assert "#### Check yourself" in headings
            assert at.button(key="learn_next").disabled
    expected = expected_answers(lesson_id, rules.cross, rules.portfolio)
    for index, question in enumerate(lesson.questions):
        right = expected[index]
        if question.is_choice:
            wrong = (right + 1) % len(question.options)
        else:
            assert right is not None and math.isfinite(right)
            wrong = right * 1.5 + 10 * (1 + abs(right))
        shown = question.options[right] if question.is_choice else framework.fmt(right, question.unit)
        successes, warnings = answer(at, lesson, index, wrong)  # first wrong answer: a second try, no answer
        assert warnings and not successes
        assert warnings[0].startswith("Not quite") and "Try again" in warnings[0]
        assert shown not in warnings[0], "the answer is shown only after the second wrong try"
        successes, warnings = answer(at, lesson, index, wrong)  # second wrong answer: the engine's answer
        assert warnings and not successes and "Try again" not in warnings[0]
        assert "$" in warnings[0] or "%" in warnings[0], "a wrong answer is explained with the engine's numbers"
        assert shown in warnings[0]
        successes, warnings = answer(at, lesson, index, right)
        assert successes and successes[0].startswith("Right"), (lesson_id, index, warnings)


def test_a_right_first_answer_and_an_empty_check_use_no_try():
    lesson = catalogue.BY_ID["costs-more"]
    at = open_lesson(lesson.id, lesson.n_steps)
    at.button(key=f"learn_check_{lesson.id}_1").click().run()  # nothing entered yet: not a try
    assert at.session_state[f"learn_feedback_{lesson.id}_1"][1].message == "Enter a number first."
    right = expected_answers(lesson.id)[1]
    successes, _ = answer(at, lesson, 1, right * 3 + 100)
    _, warnings = answer(at, lesson, 1, right * 3 + 100)
    assert "Try again" not in warnings[0] and framework.fmt(right, "USD") in warnings[0]
    successes, _ = answer(at, lesson, 0, expected_answers(lesson.id)[0])
    assert successes and successes[0].startswith("Right")


def test_the_last_step_links_to_the_next_lesson_and_the_last_lesson_finishes():
    first, second = catalogue.LESSONS[0], catalogue.LESSONS[1]
    at = open_lesson(first.id, first.n_steps)
    button = at.button(key="learn_next_lesson")
    assert second.title in button.label
    button.click().run()
    assert not at.exception and not errors(at)
    assert (at.query_params["lesson"], at.query_params["step"]) == (second.id, "1")
    assert at.session_state["workspace"].portfolio == load_portfolio(SAMPLES / second.sample)
    last = catalogue.LESSONS[-1]
    at = open_lesson(last.id, last.n_steps)
    assert catalogue.next_lesson(last) is None
    at.button(key="learn_finish").click().run()
    assert "lesson" not in at.query_params
    assert any(lesson.title in m.value for m in at.markdown for lesson in catalogue.LESSONS)


def test_a_lesson_pins_its_rule_sets_and_gives_the_students_back_when_it_is_left():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.selectbox(key="sidebar_cross_preset").set_value("deribit").run()
    at.selectbox(key="sidebar_portfolio_preset").set_value("okx").run()
    at.radio(key="sidebar_offsets").set_value("segregated").run()
    own = at.session_state["workspace"]
    assert (own.cross_preset, own.portfolio_preset, own.portfolio_offsets) == ("deribit", "okx", "segregated")
    at.switch_page("pages/learn.py").run()
    at.selectbox(key="learn_pick").set_value("correlation").run()
    ws = at.session_state["workspace"]
    assert (ws.cross_preset, ws.portfolio_preset, ws.portfolio_offsets) == ("hyperliquid", "classroom", "correlated")
    notes = " ".join(c.value for c in at.caption)
    assert "This lesson uses hyperliquid / classroom (the cross / portfolio rule sets, correlated offsets)" in notes
    assert "deribit / okx, segregated offsets) come back" in notes
    # a chain of lessons keeps the student's own rule sets to give back, and the binance lesson pins binance
    at.selectbox(key="learn_pick").set_value("binance").run()
    assert at.session_state["workspace"].cross_preset == "binance"
    # the student switches offsets mid-lesson: the lesson says which of its words no longer hold
    at.selectbox(key="learn_pick").set_value("correlation").run()
    at.radio(key="sidebar_offsets").set_value("segregated").run()
    warning = " ".join(w.value for w in at.warning)
    assert "cheaper to open than cross margin" in warning
    at.button(key="learn_pin").click().run()
    assert at.session_state["workspace"].portfolio_offsets == "correlated"
    at.selectbox(key="learn_pick").set_value(None).run()  # leaving the lessons: the student's own rule sets
    ws = at.session_state["workspace"]
    assert (ws.cross_preset, ws.portfolio_preset, ws.portfolio_offsets) == ("deribit", "okx", "segregated")
    assert any("Your own rule sets are back" in i.value for i in at.info)
    assert at.selectbox(key="sidebar_cross_preset").value == "deribit"


def test_a_rule_set_a_step_suggests_keeps_every_check_of_the_lesson():
    lesson = catalogue.BY_ID["haircuts-depeg"]
    number = next(i for i, step in enumerate(lesson.steps, start=1) if step.preset is not None)
    at = open_lesson(lesson.id, number)
    at.button(key=f"learn_preset_{lesson.id}_{number}").click().run()
    assert at.session_state["workspace"].cross_preset == "binance"
    assert not at.warning
    assert any("checked for these rule sets too" in c.value for c in at.caption)


def test_answers_follow_the_active_rule_sets_not_a_stored_answer():
    at = open_lesson("vol-jump", 4)
    at.selectbox(key="sidebar_portfolio_preset").set_value("okx").run()
    lesson = catalogue.BY_ID["vol-jump"]
    okx, classroom = expected_answers("vol-jump", pm="okx")[0], expected_answers("vol-jump", pm="classroom")[0]
    assert abs(okx - classroom) > 5  # the presets disagree, so the check must use the active one
    _, warnings = answer(at, lesson, 0, classroom)
    hint = "too low" if classroom < okx else "too high"
    assert warnings and hint in warnings[0]  # the first try gets a hint from the active rule sets' answer
    _, warnings = answer(at, lesson, 0, classroom)
    assert warnings and framework.fmt(okx, "%") in warnings[0]
    successes, _ = answer(at, lesson, 0, okx)
    assert successes
    assert "okx" in " ".join(c.value for c in at.caption)


def test_numeric_answers_count_within_the_tolerance_and_choices_by_engine_comparison():
    lesson = catalogue.BY_ID["vol-jump"]
    question = lesson.questions[0]
    solution = framework.solve(lesson, 0)
    tol = framework.tolerance(question, solution.value)
    assert framework.check(question, solution, solution.value + 0.9 * tol).correct
    assert not framework.check(question, solution, solution.value + 1.1 * tol).correct
    assert not framework.check(question, solution, None).correct
    choice = lesson.questions[1]
    picked = framework.solve(lesson, 1)
    assert picked.accepted == {expected_answers("vol-jump")[1]}
    assert not framework.check(choice, picked, None).correct


# -- lesson links ---------------------------------------------------------------------------------
def test_a_lesson_link_round_trips_through_the_url():
    lesson = catalogue.BY_ID["correlation"]
    at = open_lesson("correlation", 3)
    assert f"#### 3. {lesson.steps[2].title}" in [m.value for m in at.markdown]
    assert any("?lesson=correlation&step=3" in c.value for c in at.code)
    at.button(key="learn_next").click().run()
    assert (at.query_params["lesson"], at.query_params["step"]) == ("correlation", "4")
    at.button(key="learn_back").click().run()
    at.button(key="learn_back").click().run()
    assert at.query_params["step"] == "2"
    # the URL as it now stands opens the same step in a new session
    again = open_lesson(at.query_params["lesson"], int(at.query_params["step"]))
    assert f"#### 2. {lesson.steps[1].title}" in [m.value for m in again.markdown]


def test_a_lesson_link_on_another_page_opens_the_learn_page():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lesson"] = "hedge"
    at.query_params["step"] = "2"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Learn"
    assert at.session_state["workspace"].portfolio == load_portfolio(SAMPLES / "06_conversion.json")
    assert at.query_params["step"] == "2"


def test_a_lesson_link_opens_the_lessons_tab_even_after_the_glossary_was_open():
    lesson = catalogue.BY_ID["correlation"]
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/learn.py").run()
    at.session_state["learn_tab"] = "Glossary"
    at.run()
    assert not any(f"#### 2. {lesson.steps[1].title}" == m.value for m in at.markdown)
    at.query_params["lesson"] = "correlation"
    at.query_params["step"] = "2"
    at.run()
    assert not at.exception
    assert f"#### 2. {lesson.steps[1].title}" in [m.value for m in at.markdown]
    at.session_state["learn_tab"] = "Glossary"  # looking something up mid-lesson stays put
    at.run()
    assert not any(f"#### 2. {lesson.steps[1].title}" == m.value for m in at.markdown)


@pytest.mark.parametrize(("lesson_id", "step", "shown"), [("binance", "99", "4"), ("binance", "x", "1"),
                                                          ("binance", "0", "1")])
def test_a_step_out_of_range_is_clamped(lesson_id, step, shown):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lesson"] = lesson_id
    at.query_params["step"] = step
    at.run()
    assert not at.exception and not errors(at)
    assert at.query_params["step"] == shown


def test_an_unknown_lesson_is_a_warning_not_an_error():
    at = open_lesson("no-such-lesson")
    assert not errors(at)
    assert any("no-such-lesson" in w.value for w in at.warning)
    assert "lesson" not in at.query_params


def test_a_lesson_says_it_replaced_the_book_and_offers_the_previous_one_back():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    next(s for s in at.slider if s.label.startswith("Size")).set_value(3.0).run()
    edited = at.session_state["workspace"].portfolio
    at.switch_page("pages/learn.py").run()
    assert at.session_state["workspace"].portfolio == edited  # the Learn page alone replaces nothing
    at.selectbox(key="learn_pick").set_value("vol-jump").run()
    assert not at.exception
    assert at.session_state["workspace"].portfolio == load_portfolio(SAMPLES / "05_short_strangle.json")
    notes = [i.value for i in at.info]
    assert any("loaded its sample" in n and "Short BTC strangle" in n for n in notes)
    assert (at.query_params["lesson"], at.query_params["step"]) == ("vol-jump", "1")
    at.button(key="learn_restore").click().run()
    assert at.session_state["workspace"].portfolio == edited
    assert any("lesson's steps and answers refer to its sample" in i.value for i in at.info)
    at.button(key="learn_reload").click().run()
    assert at.session_state["workspace"].portfolio == load_portfolio(SAMPLES / "05_short_strangle.json")
    at.button(key="learn_restore").click().run()  # and back again: the edited book is never lost
    assert at.session_state["workspace"].portfolio == edited


def test_the_lesson_picker_lists_every_lesson_and_the_preset_button_switches_the_rule_set():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/learn.py").run()
    options = at.selectbox(key="learn_pick").options
    assert all(any(lesson.title in option for option in options) for lesson in catalogue.LESSONS)
    for lesson in catalogue.LESSONS:
        assert any(lesson.title in m.value for m in at.markdown)
    at.button(key="learn_start_haircuts-depeg").click().run()
    at.button(key="learn_next").click().run()
    at.button(key="learn_next").click().run()
    at.button(key="learn_preset_haircuts-depeg_3").click().run()
    assert at.session_state["workspace"].cross_preset == "binance"
    assert at.selectbox(key="sidebar_cross_preset").value == "binance"


# -- glossary -------------------------------------------------------------------------------------
def test_the_glossary_defines_every_term_the_pages_use():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/learn.py").run()
    assert not any("margin ratio" in m.value for m in at.markdown)  # only the open tab is drawn
    at.session_state["learn_tab"] = "Glossary"  # what clicking the tab does
    at.run()
    shown = "\n".join(m.value for m in at.markdown)
    anchors = [t.anchor for t in glossary.TERMS]
    assert len(anchors) == len(set(anchors))
    for name in REQUIRED_TERMS:
        entry = glossary.find(name)
        assert entry is not None, name
        assert len(entry.definition) > 40
        assert f'<span id="{entry.anchor}"></span>' in shown and f"**{entry.name}**" in shown


def test_term_links_point_at_the_learn_page_anchor_and_open_the_term():
    assert glossary.term_link("margin ratio") == "[margin ratio](./learn?term=margin-ratio#margin-ratio)"
    assert glossary.term_link("VaR", "value at risk") == "[value at risk](./learn?term=var#var)"
    with pytest.raises(KeyError):
        glossary.term_link("not a term")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["term"] = "margin-ratio"
    at.run()
    at.switch_page("pages/learn.py").run()
    assert any(glossary.get("margin ratio").definition in i.value for i in at.info)


def test_compare_metrics_carry_glossary_tooltips_and_links():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/compare.py").run()
    helps = {m.label: m.help for m in at.metric}
    assert glossary.get("margin ratio").definition in helps["Cross margin ratio"]
    assert glossary.url("margin ratio") in helps["Portfolio margin ratio"]
    assert glossary.url("initial margin") in helps["Cross initial margin"]
    assert any(glossary.url("binding scenario") in c.value for c in at.caption)
    at.switch_page("pages/liquidation.py").run()
    helps = {m.label: m.help for m in at.metric}
    assert glossary.url("liquidation price") in helps["Cross liquidation price"]
    assert glossary.url("daily standard deviation") in helps["Portfolio liquidation price"]
    at.switch_page("pages/shocks.py").run()
    assert glossary.url("VaR") in {m.label: m.help for m in at.metric}["VaR 99 % 1-day, Monte Carlo"]


# -- methodology ----------------------------------------------------------------------------------
def test_the_formulas_shown_use_the_active_presets():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/learn.py").run()
    assert not latex_text(at)  # only the open tab is drawn
    at.session_state["learn_tab"] = "Methodology"
    at.run()
    shown = latex_text(at)
    assert r"f_{\text{BTC}} = 16\,\%" in shown and "N = 9" in shown and r"1.3 \times" in shown
    at.selectbox(key="sidebar_portfolio_preset").set_value("okx").run()
    at.selectbox(key="sidebar_cross_preset").set_value("binance").run()
    assert not at.exception and not errors(at)
    shown = latex_text(at)
    okx = PORTFOLIO_PRESETS["okx"]
    assert okx.price_range["BTC"] == 0.12 and okx.price_steps == 7
    assert r"f_{\text{BTC}} = 12\,\%" in shown and "N = 7" in shown and "N = 9" not in shown
    assert r"f_{\text{other}} = 25\,\%" in shown
    assert r"\ell_{\max}^{\text{BTC}} = 125" in shown  # binance's BTC max leverage
    assert r"h_{\text{BTC}} = 5\,\%" in shown
    text_shown = "\n".join(m.value for m in at.markdown)
    for preset in (okx, CROSS_PRESETS["binance"]):  # each source: its document and date, then every simplification
        follows, simplifications = methodology.source_parts(preset.source)
        assert follows in text_shown and simplifications and all(item in text_shown for item in simplifications)
    assert any(okx.title in s.value for s in at.subheader)
    assert r"R_a = f_a" in shown and r"0.5\,\max" in shown and "MR4 basis" in text_shown  # OKX: fixed ranges, MR6, MR4
    tiers = next(d.value for d in at.dataframe if "maintenance rate (%)" in d.value.columns)
    btc = tiers[tiers["asset"] == "BTC"]
    assert len(btc) == len(CROSS_PRESETS["binance"].maintenance_tiers["BTC"])
    assert btc["maintenance rate (%)"].iloc[0] == pytest.approx(0.4)
    assert any("Limitations" in s.value for s in at.subheader)


def test_a_modified_rule_set_shows_up_in_the_formulas():
    changed = PORTFOLIO_PRESETS["deribit"].with_changes(
        price_steps=11, im_multiplier=1.45, extreme_fraction=0.4, extreme_multiple=2.5, price_range={"BTC": 0.123},
        depeg_addon_rate=0.03, range_vol_multiple=5.0, vol_up_shift=0.6, offsets="segregated")
    shown = "\n".join(f.latex for f in methodology.portfolio_formulas(changed))
    for piece in ("N = 11", r"1.45 \times", r"0.4\,\max", r"\pm 2.5\,R_a", r"f_{\text{BTC}} = 12.3\,\%",
                  r"0.03\,V", r"5\,\sigma_a", r"1 + u_a\left", r"\right),\ 0.5\right)"):
        assert piece in shown, piece
    readings = "\n".join(f.note for f in methodology.portfolio_formulas(changed))
    assert "Vol-up shift u_a: ETH 0.4, other coins 0.6." in readings
    one_shift = PORTFOLIO_PRESETS["classroom"].with_changes(vol_up_shift=0.6)
    assert r"1 + 0.6\left" in "\n".join(f.latex for f in methodology.portfolio_formulas(one_shift))
    titles = [f.title for f in methodology.portfolio_formulas(changed)]
    assert "Segregated units (active)" in titles
    cross = CROSS_PRESETS["hyperliquid"].with_changes(option_initial_base=0.2, option_maintenance_rate=0.09,
                                                      default_max_leverage=4.0)
    shown = "\n".join(f.latex for f in methodology.cross_formulas(cross))
    assert r"\max\!\left(0.2 - " in shown and r"0.09\,S + V" in shown and r"2 \times 4}" in shown


def test_the_methodology_renderer_draws_a_modified_rule_set():
    def script():
        from margin import CROSS_PRESETS, PORTFOLIO_PRESETS
        from ui import methodology

        methodology.render(CROSS_PRESETS["deribit"],
                           PORTFOLIO_PRESETS["span"].with_changes(price_steps=13, im_multiplier=1.7))

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    assert not at.exception
    shown = latex_text(at)
    assert "N = 13" in shown and r"1.7 \times" in shown and r"f_{\text{other}} = 10\,\%" in shown
    assert any("Limitations" in s.value for s in at.subheader)


@pytest.mark.parametrize("preset", list(PORTFOLIO_PRESETS))
def test_the_scan_range_table_matches_the_engine(preset):
    book, market = load_sample("05_short_strangle.json")
    table = methodology.range_table(PORTFOLIO_PRESETS[preset], book, market.shocked(vol_mult=2))
    ranges = portfolio_margin(book, market.shocked(vol_mult=2), preset).details["ranges"]
    assert table.set_index("risk unit")["scan range R (%)"].to_dict() == pytest.approx(
        {k: v * 100 for k, v in ranges.items()})


def test_every_presets_methodology_names_its_document_date_and_simplifications():
    """Issue 18: every preset's source lists the document, its date and each simplification, and the
    Methodology tab prints it for the active presets, the new ones included."""
    for preset in (*CROSS_PRESETS.values(), *PORTFOLIO_PRESETS.values()):
        follows, simplifications = methodology.source_parts(preset.source)
        assert re.search(r"\b20[12]\d\b", follows), preset.name  # a dated document
        assert simplifications, preset.name
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/learn.py").run()
    at.session_state["learn_tab"] = "Methodology"
    at.run()
    for name in PORTFOLIO_PRESETS:
        at.selectbox(key="sidebar_portfolio_preset").set_value(name).run()
        assert not at.exception and not errors(at)
        preset, shown = PORTFOLIO_PRESETS[name], "\n".join(m.value for m in at.markdown)
        assert all(item in shown for item in methodology.source_parts(preset.source)[1]), name
        formulas = latex_text(at)
        assert ((r"\mathrm{MM} = 0.8\,(L + A)" in formulas) == (preset.mm_factor == 0.8)), name
        assert ((r"\max(r_a" in formulas) == (name in ("deribit", "okx"))), name  # the roll shock / MR4


# -- presenter --------------------------------------------------------------------------------------
def test_presenter_mode_enlarges_fonts():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/compare.py").run()
    assert plotly_spec(at)["layout"]["font"]["size"] == style.FONT_SIZE
    at.toggle(key="sidebar_presenter").set_value(True).run()
    assert at.session_state["presenter"] is True
    assert plotly_spec(at)["layout"]["font"]["size"] == pytest.approx(style.FONT_SIZE * 1.4)
    assert any("font-size" in h.proto.body for h in at.get("html"))
    at.switch_page("pages/shocks.py").run()  # the setting follows the user across pages
    assert not at.exception and not errors(at)
    assert at.session_state["presenter"] is True
    assert plotly_spec(at)["layout"]["font"]["size"] == pytest.approx(style.FONT_SIZE * 1.4)
    at.run()  # AppTest shows a sidebar widget's previous-page value for one run after a page switch
    at.toggle(key="sidebar_presenter").set_value(False).run()
    assert at.session_state["presenter"] is False
    assert plotly_spec(at)["layout"]["font"]["size"] == style.FONT_SIZE


def test_scale_spec_scales_every_font_and_nothing_else():
    book, market = load_sample("03_btc_eth_pair.json")
    spec = compare.requirement_bars(cross_margin(book, market), portfolio_margin(book, market)).to_dict()
    assert style.scale_spec(spec, 1.0) is spec
    big = style.scale_spec(spec, 1.5)
    layout = big["layout"]
    assert layout["font"]["size"] == 24 and layout["title"]["font"]["size"] == 30
    assert layout["xaxis"]["tickfont"]["size"] == 24 and layout["annotations"][0]["font"]["size"] == 24
    assert big["data"][0]["textfont"]["size"] == 24
    assert spec["layout"]["font"]["size"] == 16  # the original is untouched
    assert list(big["data"][0]["y"]) == list(spec["data"][0]["y"])


def test_lessons_work_on_the_samples_as_the_app_loads_them():
    for lesson in catalogue.LESSONS:
        assert framework.sample(lesson.sample)[0] == load_sample(lesson.sample)[0]
        assert framework.sample(lesson.sample)[1] == load_sample(lesson.sample)[1]
    assert isinstance(framework.sample("04_covered_call.json")[0].positions[1], Option)


def test_a_link_to_an_unknown_lesson_says_so_until_a_lesson_is_chosen():
    """The warning stays on the next run (the first run's warning alone was gone before a user saw it)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/learn.py")
    at.query_params["lesson"] = "covered-call"
    at.query_params["step"] = "1"
    at.run()
    assert any("covered-call" in w.value for w in at.warning)
    at.run()  # the address no longer carries the lesson: the warning stays
    assert any("covered-call" in w.value for w in at.warning)
