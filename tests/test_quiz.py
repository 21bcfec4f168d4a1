"""The quiz flow of a lesson: a second try before the engine's answer is shown, a score for the lesson
(1 point for a right first answer, ½ for a right second one, 0 when the engine had to show it), kept
once a question is settled, shown on the page and in the list of lessons, and cleared by "Try the
questions again"."""

from __future__ import annotations

import itertools

import pytest
from streamlit.testing.v1 import AppTest

from lessons import catalogue, framework
from tests.test_learn import APP, TIMEOUT, expected_answers


# -- the score, against a count made here ------------------------------------------------------------
@pytest.mark.parametrize("outcomes", list(itertools.product(
    (None, framework.Outcome(True, 1), framework.Outcome(True, 2), framework.Outcome(False, 2)), repeat=3)))
def test_the_score_counts_a_point_per_first_try_and_half_per_second(outcomes):
    result = framework.score(outcomes)
    first = [o for o in outcomes if o == framework.Outcome(True, 1)]
    second = [o for o in outcomes if o == framework.Outcome(True, 2)]
    assert result.points == len(first) + len(second) / 2
    assert result.out_of == 3 and result.settled == sum(o is not None for o in outcomes)
    words = framework.score_text(result)
    assert words.startswith(f"Score: {result.points:g} of 3 ")
    left = 3 - result.settled
    assert (f"{left} question" in words) is (left > 0)


def test_a_question_is_settled_when_right_or_when_the_answer_is_shown():
    assert framework.Feedback(True, "").settled
    assert not framework.Feedback(False, "", retry=True).settled
    assert framework.Feedback(False, "").settled
    assert framework.TRIES == 2


# -- the flow on the page ---------------------------------------------------------------------------
def _open(lesson: framework.Lesson) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lesson"] = lesson.id
    at.query_params["step"] = str(lesson.n_steps)
    at.run()
    assert not at.exception, at.exception
    return at


def _answer(at: AppTest, lesson: framework.Lesson, index: int, value) -> framework.Feedback:
    key = f"learn_answer_{lesson.id}_{index}"
    if lesson.questions[index].is_choice:
        at.radio(key=key).set_value(value)
    else:
        at.number_input(key=key).set_value(float(value))
    at.button(key=f"learn_check_{lesson.id}_{index}").click().run()
    assert not at.exception, at.exception
    return at.session_state[f"learn_feedback_{lesson.id}_{index}"][1]


def _wrong(lesson: framework.Lesson, index: int, right):
    question = lesson.questions[index]
    if question.is_choice:
        return (right + 1) % len(question.options)
    return right * 1.5 + 10 * (1 + abs(right))


def _score_line(at: AppTest) -> str | None:
    return next((m.value for m in at.markdown if m.value.startswith("**Score:")), None)


def test_two_tries_then_the_answer_and_a_score_that_stays_put():
    lesson = catalogue.BY_ID["costs-more"]  # question 0: a choice, question 1: a number (USD)
    right = expected_answers(lesson.id)
    at = _open(lesson)
    assert _score_line(at) is None  # nothing settled yet
    first = _answer(at, lesson, 0, _wrong(lesson, 0, right[0]))
    assert first.retry and "Try again" in first.message
    assert _score_line(at) is None, "a first wrong answer settles nothing"
    second = _answer(at, lesson, 0, right[0])  # right at the second try: half a point
    assert second.correct
    assert _score_line(at) == "**Score: 0.5 of 2 (0 right at the first try, 1 at a later try; 1 question left).**"
    shown = [_answer(at, lesson, 1, _wrong(lesson, 1, right[1])) for _ in range(2)]
    assert shown[0].retry and not shown[1].retry
    assert framework.fmt(right[1], "USD") in shown[1].message, "the engine's answer after the second try"
    assert _score_line(at) == "**Score: 0.5 of 2 (0 right at the first try, 1 at a later try, 1 shown by the engine).**"
    assert _answer(at, lesson, 1, right[1]).correct  # typing the shown answer is "Right", but scores nothing
    assert _score_line(at).startswith("**Score: 0.5 of 2 ")
    at.button(key=f"learn_try_again_{lesson.id}").click().run()
    assert _score_line(at) is None
    assert at.session_state[f"learn_answer_{lesson.id}_1"] is None
    assert _answer(at, lesson, 1, right[1]).correct and _answer(at, lesson, 0, right[0]).correct
    assert _score_line(at) == "**Score: 2 of 2 (2 right at the first try).**"


def test_the_list_of_lessons_shows_the_score():
    lesson = catalogue.BY_ID["hedge"]
    right = expected_answers(lesson.id)
    at = _open(lesson)
    _answer(at, lesson, 1, right[1])
    at.selectbox(key="learn_pick").set_value(None).run()
    listed = [m.value for m in at.markdown if m.value.startswith(f"**{catalogue.LESSONS.index(lesson) + 1}. ")]
    assert listed and "score 1 of 2" in listed[0]


def test_the_score_is_kept_per_rule_sets():
    lesson = catalogue.BY_ID["costs-more"]
    right = expected_answers(lesson.id)
    at = _open(lesson)
    _answer(at, lesson, 0, right[0])
    assert _score_line(at).startswith("**Score: 1 of 2 ")
    at.selectbox(key="sidebar_portfolio_preset").set_value("span").run()  # other rule sets: a new quiz
    assert _score_line(at) is None
