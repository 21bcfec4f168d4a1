"""Handouts and worksheets: a PDF of each variant for every lesson of the catalogue, printed by Debian's
chromium (the shared ``chromium`` fixture: a missing browser fails, never skips), read back with pypdf.

What is checked against numbers computed here, apart from the handout code: the book's requirements
(``margin.cross_margin`` / ``portfolio_margin`` with the lesson's pinned rule sets), the numeric
answers (tests/test_learn.py's ``expected_answers``, computed from the engine without lessons/, where
it knows the lesson; the engine's solve otherwise), which option is right, and the layout the issue
asks for: the answer key starts a page of its own and nothing of it shows before; the worksheet has a
blank where each answer and each readout goes.
"""

from __future__ import annotations

import base64
import io
import re
import unicodedata

import pytest
from pypdf import PdfReader

from lessons import catalogue, framework
from margin import cross_margin, portfolio_margin
from tests.test_learn import expected_answers
from ui import handout_panel
from views import handout, text
from views.samples import load_sample

LESSONS = catalogue.LESSONS
NUMBER = re.compile(r"[−-]?\$?[\d,]+(?:\.\d+)?")


@pytest.fixture(scope="module")
def printed(chromium):
    """lesson id -> {(variant, 'html'|'pdf'): bytes}, every lesson in one browser."""
    page = chromium.new_page()
    try:
        return {lesson.id: handout_panel.documents_in(page, lesson, base="http://127.0.0.1:8501/learn")
                for lesson in LESSONS}
    finally:
        page.close()


def pages_text(data: bytes) -> list[str]:
    """Each page's text, ligatures unfolded and whitespace collapsed."""
    reader = PdfReader(io.BytesIO(data))
    return [" ".join(unicodedata.normalize("NFKC", page.extract_text() or "").split()) for page in reader.pages]


def key_start(pages: list[str]) -> int:
    starts = [i for i, words in enumerate(pages) if words.startswith(f"{handout.KEY_TITLE}:")]
    assert len(starts) == 1, [p[:60] for p in pages]
    return starts[0]


def parse_number(shown: str) -> float:
    """'$1,234' / '−12.3 %' / '2.36×' / '$121.12' -> the number."""
    match = NUMBER.search(shown.replace("−", "-"))
    assert match, shown
    return float(match.group().replace("$", "").replace(",", ""))


def expected(lesson: framework.Lesson) -> list:
    """Per question: the independent number or option index, else the engine's (a lesson test_learn does not know)."""
    try:
        return expected_answers(lesson.id, lesson.rules.cross, lesson.rules.portfolio)
    except AssertionError:
        ctx = framework.pinned_context(lesson)
        solutions = [question.solve(ctx) for question in lesson.questions]
        return [s.value if not q.is_choice else min(s.accepted) for q, s in zip(lesson.questions, solutions,
                                                                                 strict=True)]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
@pytest.mark.parametrize("variant", handout.VARIANTS)
def test_every_lesson_prints_with_the_answer_key_on_pages_of_its_own(printed, lesson, variant):
    pages = pages_text(printed[lesson.id][(variant, "pdf")])
    assert len(pages) >= 2
    start = key_start(pages)
    assert start >= 1, "the questions come before the key"
    before, key = " ".join(pages[:start]), " ".join(pages[start:])
    assert lesson.title in pages[0] and "Check yourself" in before
    assert handout.KEY_TITLE not in before
    for number in range(1, len(lesson.questions) + 1):
        assert f"Question {number}." in before and f"Question {number}:" in key
        assert f"Question {number}." not in key, "no question is printed again on the key's pages"
    for number in range(1, len(pages) + 1):
        assert f"page {number} of {len(pages)}" in pages[number - 1]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_the_printed_requirements_are_the_engines_for_the_pinned_rule_sets(printed, lesson):
    book, market = load_sample(lesson.sample)
    rules = lesson.rules
    cross = cross_margin(book, market, rules.cross)
    portfolio = portfolio_margin(book, market, rules.portfolio_params)
    first = pages_text(printed[lesson.id][("handout", "pdf")])[0]
    assert f"cross {rules.cross} / portfolio {rules.portfolio}, {rules.offsets} offsets" in first
    row = f"Initial margin {text.money(cross.initial)} {text.money(portfolio.initial)}"
    assert row in first, first[:600]
    row = f"Maintenance margin {text.money(cross.maintenance)} {text.money(portfolio.maintenance)}"
    assert row in first


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
@pytest.mark.parametrize("variant", handout.VARIANTS)
def test_the_answer_key_prints_the_engines_answers(printed, lesson, variant):
    pages = pages_text(printed[lesson.id][(variant, "pdf")])
    key = " ".join(pages[key_start(pages):])
    for number, (question, wanted) in enumerate(zip(lesson.questions, expected(lesson), strict=True), start=1):
        following = f" Question {number + 1}:" if number < len(lesson.questions) else "$"
        line = re.search(rf"Question {number}: (.+?)(?={following})", key)
        assert line, (number, key[:400])
        if question.is_choice:
            letter = chr(ord("A") + wanted)
            assert f"{letter}. {question.options[wanted]}" in line.group(1), (lesson.id, number, line.group(1))
            continue
        shown = line.group(1).split(" (answers within")[0]
        value = parse_number(shown)
        tolerance = framework.tolerance(question, wanted)
        # printed at the unit's precision: within the question's tolerance plus half a printed digit
        digits = shown.split(".")[1] if "." in shown else ""
        places = len(re.match(r"\d*", digits).group())
        assert abs(value - wanted) <= tolerance + 0.5 * 10 ** -places, (lesson.id, number, shown, wanted)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_the_worksheet_leaves_a_blank_where_each_answer_and_reading_goes(printed, lesson):
    pages = pages_text(printed[lesson.id][("worksheet", "pdf")])
    before = " ".join(pages[:key_start(pages)])
    numeric = sum(1 for question in lesson.questions if not question.is_choice)
    ctx = framework.pinned_context(lesson)
    readings = [step.control.read(ctx, step.control.value).metrics for step in lesson.steps if step.control]
    assert before.count(handout.BLANK) == numeric + sum(len(r) for r in readings)
    boxes = sum(len(question.options) for question in lesson.questions)
    assert before.count(handout.BOX) == boxes
    key = " ".join(pages[key_start(pages):])
    for metrics in readings:  # the key gives what the blanks stand for
        for label, value in metrics:
            assert f"{label} {value}" in key
    handout_pages = pages_text(printed[lesson.id][("handout", "pdf")])
    assert handout.BLANK not in " ".join(handout_pages), "the handout prints every number"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_the_charts_are_static_svg_images_of_the_engines_numbers(printed, lesson):
    markup = printed[lesson.id][("handout", "html")].decode("utf-8")
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', markup)
    svgs = [base64.b64decode(data).decode("utf-8") for data in images]
    charts = [svg for svg in svgs if "main-svg" in svg]  # plotly's own SVG (the QR code is segno's)
    liquidation_or_shocks = {step.page for step in lesson.steps} & {"pages/liquidation.py", "pages/shocks.py"}
    assert len(charts) == 1 + len(liquidation_or_shocks)
    assert "<script" not in markup, "static: no plotly.js in the handout"
    book, market = load_sample(lesson.sample)
    cross = cross_margin(book, market, lesson.rules.cross)
    bars = charts[0]
    assert text.money(cross.initial) in bars and text.money(cross.maintenance) in bars


def test_the_html_without_a_renderer_says_where_each_chart_would_be():
    lesson = catalogue.BY_ID["correlation"]
    made = handout_panel.handout_of(lesson)  # no renderer
    markup = handout.render(made, "handout")
    assert markup.count("no renderer was available") == 1 + 2  # the bars, the Liquidation and the Shocks chart
    assert ".key { break-before: page; }" in markup and '<section class="key">' in markup
    with pytest.raises(ValueError, match="variant"):
        handout.render(made, "poster")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_the_worksheet_keeps_each_steps_explanation_for_the_key(printed, lesson):
    """A step's "what happens and why" answers the lesson's questions (a user walk found the worksheet
    printing them two steps before the questions): the worksheet asks for it and its key gives it."""
    markup = printed[lesson.id][("worksheet", "html")].decode("utf-8")
    before, key = markup.split(handout.KEY_TITLE, 1)
    assert "What happens and why</span> ·" not in before
    assert before.count("What happens, and why?") == len(lesson.steps)
    assert key.count("what happens and why</span> ·") == len(lesson.steps)
