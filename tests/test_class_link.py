"""Class links: the share link plus ``class=<id>`` pinning the book, rule sets, lesson and step; its QR
code (decoded by zxing-cpp, a decoder independent of segno, which draws it); the room's anonymous
answer counts (in memory, reset with the class link, nothing personal); and, in a real browser, a
fresh browser context that opens the link gets exactly the presenter's view."""

from __future__ import annotations

import dataclasses
import io
import itertools
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import zxingcpp
from PIL import Image
from streamlit.testing.v1 import AppTest

from lessons import catalogue
from margin import PortfolioError
from margin.io import encode_share_token
from tests.browser_support import (
    ROOT,
    sidebar_radio_value,
    sidebar_select,
    sidebar_toggle,
    streamlit_server,
    wait_for_idle,
)
from ui import classroom, state
from views import link
from views.rules import preset_title
from views.samples import load_sample

APP = str(ROOT / "app.py")
TIMEOUT = 60
SHOTS = Path("/tmp/classroom-shots") if Path("/tmp/classroom-shots").is_dir() else ROOT / "artifacts" / "screenshots"


def decode_qr(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))]


# -- the link ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("lesson", "step", "class_id"),
                         list(itertools.product(("hedge", "correlation"), (1, 3), ("abcd", "Zx-9_k2Q", None))))
def test_a_class_link_round_trips_with_its_class(lesson, step, class_id):
    book, market = load_sample("03_btc_eth_pair.json")
    view = link.View(encode_share_token(book, {}), "binance", "span", "segregated", False, lesson, step,
                     class_id=class_id)
    params = link.encode(view)
    assert (link.CLASS in params) is (class_id is not None)
    decoded, document = link.decode(params)
    assert decoded == view and document.portfolio == book
    assert link.encode(decoded) == params


@pytest.mark.parametrize("bad", ["ab", "x" * 25, "has space", "a/b?c", "é-class"])
def test_a_bad_class_id_refuses_the_link_with_a_sentence(bad):
    with pytest.raises(PortfolioError, match="share link: the class .* is not a class id"):
        link.decode({"lesson": "hedge", "class": bad, "v": "2"})


def test_the_class_view_pins_book_rule_sets_lesson_and_step_and_leaves_presenter_mode_off():
    book, market = load_sample("07_diversified_alts.json")
    edited = dataclasses.replace(book, title="Edited in class")
    workspace = state.Workspace(edited, market).with_rules("binance", "okx", "correlated")
    url = classroom.class_url("http://room:8501/learn", classroom.class_view(workspace, "correlation", 3, "room42"))
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "room:8501", "/learn")
    view, document = link.decode(dict(parse_qsl(parts.query)))
    assert (view.lesson, view.step, view.class_id, view.presenter) == ("correlation", 3, "room42", False)
    assert (view.cross_preset, view.portfolio_preset, view.offsets) == ("binance", "okx", "correlated")
    assert document.portfolio == edited
    opened, _ = state.from_link(dict(parse_qsl(parts.query)))
    assert opened.portfolio == edited and opened.market == market


def test_the_qr_code_decodes_to_the_class_link():
    book, market = load_sample("10_coin_margined_btc.json")
    workspace = state.Workspace(book, market).with_rules("deribit", "deribit")
    url = classroom.class_url("http://192.0.2.1:8501/learn",
                              classroom.class_view(workspace, "coin-margined", 2, classroom.new_class_id()))
    assert len(url) > 300  # a real book in it
    png = classroom.qr_png(url)
    assert png.startswith(b"\x89PNG")
    assert decode_qr(png) == [url]


def test_class_ids_are_fresh_and_fit_the_link():
    ids = {classroom.new_class_id() for _ in range(200)}
    assert len(ids) == 200 and all(link.CLASS_PATTERN.fullmatch(i) for i in ids)


# -- the counts ----------------------------------------------------------------------------------------
def test_counts_are_kept_only_for_open_classes_and_reset_with_the_class():
    store = classroom.AnswerCounts(max_classes=3)
    assert not store.record("forged", "hedge", 0, "right")  # nobody opened it: nothing stored
    assert store.stored() == {}
    store.open("room1")
    for answer in ("right", "right", "too high"):
        assert store.record("room1", "hedge", 0, answer)
    store.record("room1", "hedge", 1, "Basis add-on")
    assert store.counts("room1", "hedge", 0) == {"right": 2, "too high": 1}
    assert store.counts("room1", "hedge", 1) == {"Basis add-on": 1}
    assert store.counts("room1", "correlation", 0) == {} and store.counts("room2", "hedge", 0) == {}
    store.reset("room1")
    assert store.counts("room1", "hedge", 0) == {} and store.is_open("room1")
    for name in ("room2", "room3", "room4"):
        store.open(name)
    assert not store.is_open("room1"), "the oldest class is dropped past the limit"
    store.close("room4")
    assert not store.record("room4", "hedge", 0, "right")


def test_counts_hold_no_personal_data():
    store = classroom.AnswerCounts()
    store.open("room1")
    store.record("room1", "hedge", 0, "right")
    for class_id, counts in store.stored().items():
        assert class_id == "room1"
        for key, count in counts.items():
            lesson, question, answer = key
            assert (lesson, question, answer, count) == ("hedge", 0, "right", 1)  # nothing else is kept
    assert set(vars(store)) == {"_lock", "_classes", "_max"}


def _presenter() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in link.encode(link.View(None, "hyperliquid", "classroom", None, True, "costs-more", 4)).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _student(url_params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in url_params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_room_answers_through_the_class_link_and_the_presenter_resets_it():
    lesson = catalogue.BY_ID["costs-more"]
    assert lesson.n_steps == 4
    teacher = _presenter()
    teacher.button(key="classroom_reset").click().run()
    class_id = teacher.session_state[classroom.OWNED_KEY]
    pinned = teacher.session_state[classroom.PINNED_KEY]
    assert (pinned.lesson, pinned.step, pinned.class_id, pinned.presenter) == ("costs-more", 4, class_id, False)
    assert classroom.answer_counts().is_open(class_id)
    assert any(f"**Class {class_id}**" in m.value for m in teacher.markdown)
    params = link.encode(pinned)
    first, second = _student(params), _student(params)
    for student, choice in ((first, 0), (second, 1)):
        student.radio(key="learn_answer_costs-more_0").set_value(choice)
        student.button(key="learn_check_costs-more_0").click().run()
        student.radio(key="learn_answer_costs-more_0").set_value(1 - choice)
        student.button(key="learn_check_costs-more_0").click().run()  # a second try is not counted again
    counts = classroom.answer_counts().counts(class_id, "costs-more", 0)
    assert counts == {lesson.questions[0].options[0]: 1, lesson.questions[0].options[1]: 1}
    teacher.button(key="classroom_refresh").click().run()
    shown = " ".join(m.value for m in teacher.markdown)
    assert "The room's first answers (2, anonymous)" in shown
    teacher.button(key="classroom_reset").click().run()  # reset the class to here: counts start again
    assert classroom.answer_counts().counts(class_id, "costs-more", 0) == {}
    assert teacher.session_state[classroom.OWNED_KEY] == class_id
    teacher.button(key="classroom_end").click().run()
    assert not classroom.answer_counts().is_open(class_id)
    assert not classroom.answer_counts().record(class_id, "costs-more", 1, "right")


# -- a fresh browser ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server():
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with streamlit_server("app.py") as url:
        yield url


def _sidebar(tab) -> dict[str, object]:
    return {"cross": sidebar_select(tab, "sidebar_cross_preset").input_value(),
            "portfolio": sidebar_select(tab, "sidebar_portfolio_preset").input_value(),
            "offsets": sidebar_radio_value(tab, "sidebar_offsets"),
            "presenter": sidebar_toggle(tab, "sidebar_presenter").is_checked()}


@pytest.mark.browser
def test_the_class_link_restores_lesson_step_book_and_rule_sets_in_a_fresh_browser(server, chromium):
    book, market = load_sample("03_btc_eth_pair.json")
    edited = book.with_positions([dataclasses.replace(book.positions[0], qty=2.0), *book.positions[1:]])
    edited = dataclasses.replace(edited, title="Pair, doubled BTC")
    opening = link.View(encode_share_token(edited, {}), "binance", "span", "segregated", True, "correlation", 3)
    teacher_context = chromium.new_context(viewport={"width": 1920, "height": 1080})
    teacher = teacher_context.new_page()
    teacher.goto(f"{server}/learn?{link.query(opening)}", wait_until="domcontentloaded")
    wait_for_idle(teacher)
    teacher.get_by_role("button", name="Class link for this step").click()
    wait_for_idle(teacher)
    url = teacher.locator('[data-testid="stCode"] code').first.inner_text().strip()
    assert url.startswith(f"{server}/learn?") and "class=" in url
    qr = teacher.locator('[data-testid="stImage"] img').first
    assert decode_qr(qr.screenshot()) == [url], "the QR code on the presenter's screen is the link"
    teacher.screenshot(path=str(SHOTS / "class-link-presenter-1920.png"), full_page=True)
    teacher_sidebar = _sidebar(teacher)
    teacher_context.close()

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    student = phone.new_page()
    student.goto(url, wait_until="domcontentloaded")
    wait_for_idle(student)
    assert student.locator('[data-testid="stException"]').count() == 0
    assert student.locator("h4").filter(has_text="3. Break the correlation").count() == 1
    assert "Step 3 of 5" in student.locator('[data-testid="stProgress"]').inner_text()
    query = dict(parse_qsl(urlsplit(student.url).query))
    view, document = link.decode(query)
    assert document.portfolio == edited, "the book is the presenter's, not the lesson's sample"
    assert (view.lesson, view.step, view.cross_preset, view.portfolio_preset, view.offsets) == (
        "correlation", 3, "binance", "span", "segregated")
    student.locator('[data-testid="stSidebarCollapsedControl"] button, [data-testid="stExpandSidebarButton"]').first.click()
    wait_for_idle(student)
    assert _sidebar(student) == {**teacher_sidebar, "presenter": False}
    assert _sidebar(student)["cross"] == preset_title("cross", "binance")
    assert "Pair, doubled BTC" in student.locator('[data-testid="stSidebar"]').inner_text()
    student.screenshot(path=str(SHOTS / "class-link-student-390.png"), full_page=True)
    phone.close()
