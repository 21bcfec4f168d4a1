"""The open lesson of the Learn page across reruns: its place in the URL and the session, the sample
book and rule sets it puts in the workspace (and gives back), and checking an answer.

A lesson opens from its URL, ``?lesson=<id>&step=<n>``: a teacher shares one link. Opening a lesson
loads its sample book into the workspace and sets the rule sets it teaches with (``Lesson.rules``),
keeping the student's own book and rule sets to give back when the lesson is left (the picker's
"Choose a lesson…", Finish, or "Back to my previous book"). Next/Back keep the URL in step.
"""

from __future__ import annotations

import streamlit as st

from lessons import catalogue, framework
from lessons.framework import Lesson
from ui import classroom, engine_cache, state
from views import samples

LESSON_KEY = "learn_lesson"
STEP_KEY = "learn_step"
LOADED_KEY = "learn_loaded"
PREVIOUS_KEY = "learn_previous"
OWN_RULES_KEY = "learn_own_rules"
RESTORED_KEY = "learn_rules_restored"
PICK_KEY = "learn_pick"
TAB_KEY = "learn_tab"
TERM_SHOWN_KEY = "learn_term_shown"
STEP_SHOWN_KEY = "learn_step_shown"


def answer_key(lesson_id: str, index: int) -> str:
    return f"learn_answer_{lesson_id}_{index}"


def feedback_key(lesson_id: str, index: int) -> str:
    return f"learn_feedback_{lesson_id}_{index}"


def attempts_key(lesson_id: str, index: int) -> str:
    return f"learn_attempts_{lesson_id}_{index}"


def outcome_key(lesson_id: str, index: int) -> str:
    return f"learn_outcome_{lesson_id}_{index}"


def go(lesson_id: str | None, step: int = 1) -> None:
    """Open ``lesson_id`` at ``step`` (1-based) and put both in the URL; None closes the lesson."""
    if lesson_id is None:
        st.session_state.pop(LESSON_KEY, None)
        for name in ("lesson", "step"):
            if name in st.query_params:
                del st.query_params[name]
        return
    st.session_state[LESSON_KEY], st.session_state[STEP_KEY] = lesson_id, step
    st.query_params["lesson"], st.query_params["step"] = lesson_id, str(step)


def on_pick() -> None:
    wanted = st.session_state.get(PICK_KEY)
    if wanted is None:
        leave()
    go(wanted)


def finish() -> None:
    """The last lesson's last step: close the lesson, giving the student's rule sets back."""
    leave()
    go(None)


#: A lesson id a link asked for that the catalogue does not have (shown until a lesson is chosen).
UNKNOWN_KEY = "learn_unknown_lesson"


def current() -> tuple[Lesson | None, int]:
    """The open lesson and step: the URL wins, else the session (the URL may be gone after navigation)."""
    wanted = st.query_params.get("lesson")
    if wanted:
        lesson = catalogue.get(wanted)
        if lesson is None:
            # Kept until a lesson is chosen: the first run's warning alone was gone by the page's next run.
            st.session_state[UNKNOWN_KEY] = str(wanted)[:60]
            go(None)
        else:
            st.session_state.pop(UNKNOWN_KEY, None)
            st.session_state[LESSON_KEY] = lesson.id
            st.session_state[STEP_KEY] = framework.clamp_step(lesson, st.query_params.get("step", 1))
    lesson = catalogue.get(st.session_state.get(LESSON_KEY))
    if lesson is None:
        if st.session_state.get(UNKNOWN_KEY):
            st.warning(f"The link asked for a lesson called “{st.session_state[UNKNOWN_KEY]}”, and there is none; "
                       "choose one below.")
        return None, 1
    st.session_state.pop(UNKNOWN_KEY, None)
    step = framework.clamp_step(lesson, st.session_state.get(STEP_KEY, 1))
    go(lesson.id, step)
    return lesson, step


def rules_of(ws: state.Workspace) -> tuple[str, str, str]:
    return ws.cross_preset, ws.portfolio_preset, ws.portfolio_offsets


def pinned(lesson: Lesson) -> tuple[str, str, str]:
    return lesson.rules.cross, lesson.rules.portfolio, lesson.rules.offsets


def _with_lesson_rules(ws: state.Workspace, lesson: Lesson) -> state.Workspace:
    """``ws`` with the lesson's rule sets, keeping the student's own to give back when the lesson is left."""
    if rules_of(ws) == pinned(lesson):
        return ws
    st.session_state.setdefault(OWN_RULES_KEY, rules_of(ws))
    return ws.with_rules(*pinned(lesson))


def _with_own_rules(ws: state.Workspace) -> state.Workspace:
    """``ws`` with the student's own rule sets back (the ones before the first lesson they opened)."""
    own = st.session_state.pop(OWN_RULES_KEY, None)
    if own is None:
        return ws
    if rules_of(ws) != tuple(own):
        st.session_state[RESTORED_KEY] = tuple(own)
    return ws.with_rules(*own)


def _save(ws: state.Workspace) -> None:
    """Save ``ws`` if it is a change (one save per run: each callback composes its changes first)."""
    if ws is not state.get():
        state.save(ws)


def pin_rules(lesson_id: str) -> None:
    """Set the lesson's rule sets, keeping the student's own to give back when the lesson is left."""
    _save(_with_lesson_rules(state.get(), catalogue.BY_ID[lesson_id]))


def leave() -> None:
    """Give the student's own rule sets back (the ones before the first lesson they opened)."""
    _save(_with_own_rules(state.get()))


def _untouched_sample_of(previous: dict | None, ws: state.Workspace) -> bool:
    """True when ``ws`` still holds the sample the lesson of ``previous`` loaded (nothing edited): the book
    to go back to is then still ``previous``'s, not this one."""
    if not previous or previous["lesson"] not in catalogue.BY_ID:
        return False
    book, market = samples.load_sample(catalogue.BY_ID[previous["lesson"]].sample)
    return ws.portfolio == book and ws.market == market


def open_sample(lesson: Lesson) -> None:
    """Put the lesson's sample and rule sets in the workspace once per opening, keeping the previous book
    (the student's own, across a chain of lessons) to go back to."""
    if st.session_state.get(LOADED_KEY) == lesson.id:
        return
    st.session_state[LOADED_KEY] = lesson.id
    if state.take_link_lesson() == lesson.id:
        return  # a shared view carried its own book with the lesson: keep it (the banner offers the sample)
    book, market = samples.load_sample(lesson.sample)
    ws = state.get()
    previous = st.session_state.get(PREVIOUS_KEY)
    opened = _with_lesson_rules(ws, lesson)
    if _untouched_sample_of(previous, ws):
        previous["lesson"] = lesson.id  # a chain of lessons: the book to go back to stays the student's own
    elif ws.portfolio == book and ws.market == market:
        st.session_state.pop(PREVIOUS_KEY, None)
    else:
        st.session_state[PREVIOUS_KEY] = {"lesson": lesson.id, "workspace": ws}
    if ws.portfolio != book or ws.market != market:
        state.forget_link_error()
        opened = opened.with_book(book, "outside", market, lesson.sample)
    if opened is not ws:
        state.save(opened)
        st.rerun()  # redraw the sidebar with the lesson's book and rule sets


def restore_previous() -> None:
    """Put the book the lesson replaced back, with the student's own rule sets."""
    previous = st.session_state.pop(PREVIOUS_KEY, None)
    ws = state.get()
    if previous:
        own = previous["workspace"]
        state.forget_link_error()
        ws = ws.with_book(own.portfolio, "outside", own.market, own.sample)
    _save(_with_own_rules(ws))


def reload_sample() -> None:
    st.session_state.pop(LOADED_KEY, None)  # the next run loads the sample again, keeping this book to go back to


def use_preset(kind: str, name: str) -> None:
    field = "cross_preset" if kind == "cross" else "portfolio_preset"
    state.save(state.get().with_rules(**{field: name}))


def check(lesson_id: str, index: int) -> None:
    """Answer-time check: the engine computes the expected answer with the active rule sets. A wrong
    answer gets another try (lessons.TRIES in all) before the engine's answer is shown. The question's
    outcome is kept once it is settled (for the lesson's score), and the first answer is counted for the
    class this browser is in (``ui.classroom``, anonymous)."""
    ws = state.get()
    lesson = catalogue.BY_ID[lesson_id]
    key = (ws.cross_preset, ws.portfolio_preset, ws.offsets)
    answer = st.session_state.get(answer_key(lesson_id, index))
    attempt = st.session_state.get(attempts_key(lesson_id, index), 0) + (answer is not None)
    st.session_state[attempts_key(lesson_id, index)] = attempt
    try:
        expected = engine_cache.lesson_solution(lesson_id, index, *key)
    except Exception as error:  # noqa: BLE001 - shown as feedback, never a traceback
        result = framework.Feedback(False, f"The engine could not compute the answer: {type(error).__name__}: {error}",
                                    retry=True)
    else:
        result = framework.check(lesson.questions[index], expected, answer, max(attempt, 1))
        if answer is not None and attempt == 1:
            classroom.count_first_answer(lesson_id, index, answer_label(lesson.questions[index], expected, answer,
                                                                        result))
        stored = st.session_state.get(outcome_key(lesson_id, index))
        if result.settled and answer is not None and (stored is None or stored[0] != key):
            st.session_state[outcome_key(lesson_id, index)] = (key, framework.Outcome(result.correct, attempt))
    st.session_state[feedback_key(lesson_id, index)] = (key, result)


def answer_label(question: framework.Question, expected: framework.Solution, answer, result: framework.Feedback) -> str:
    """What the room's counts keep of an answer: the option chosen, or for a number whether it was right,
    too high or too low (never the number itself)."""
    if question.is_choice:
        return question.options[int(answer)]
    if result.correct or expected.value is None:
        return "right" if result.correct else "no answer"
    return "too high" if float(answer) > float(expected.value) else "too low"


def outcome(lesson_id: str, index: int, key: tuple) -> framework.Outcome | None:
    """How question ``index`` ended under the rule sets ``key`` (None: not settled, or under other rule sets)."""
    stored = st.session_state.get(outcome_key(lesson_id, index))
    return stored[1] if stored and stored[0] == key else None


def lesson_score(lesson: Lesson, key: tuple) -> framework.Score:
    """The lesson's score under the rule sets ``key``."""
    return framework.score([outcome(lesson.id, index, key) for index in range(len(lesson.questions))])


def try_again(lesson_id: str) -> None:
    """Clear the lesson's answers, feedback, tries and outcomes: the questions start afresh."""
    for index in range(len(catalogue.BY_ID[lesson_id].questions)):
        for name in (answer_key, feedback_key, attempts_key, outcome_key):
            st.session_state.pop(name(lesson_id, index), None)
