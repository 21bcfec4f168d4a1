"""The Learn page's panels: a lesson's banner, rule-set note, steps with their control, questions and
the way on; the list of lessons; the glossary and methodology tabs. Answers and readouts are computed
by the engine (through :mod:`ui.engine_cache`) with the active rule sets from the sidebar; what the
open lesson is, and what it did to the workspace, is :mod:`ui.lesson_session`.
"""

from __future__ import annotations

import streamlit as st

from lessons import catalogue, framework
from lessons.claims import LESSON
from lessons.framework import Control, Lesson
from margin import CROSS_PRESETS
from ui import classroom, compact, engine_cache, handout_panel, lesson_session, methodology, page, state
from views import glossary, samples
from views.rules import RuleSets

PAGE_TITLES = {"pages/build.py": "Build", "pages/compare.py": "Compare", "pages/liquidation.py": "Liquidation",
               "pages/shocks.py": "Shocks", "pages/replay.py": "Replay"}
UNIT_INPUT = {"USD": (1.0, "%.0f"), "USD price": (0.01, "%.2f"), "%": (0.1, "%.1f"), "×": (0.01, "%.2f")}


def lesson_banner(lesson: Lesson) -> None:
    """Say what the lesson did to the workspace, and offer the way back (or forward again)."""
    previous = st.session_state.get(lesson_session.PREVIOUS_KEY)
    book = samples.load_sample(lesson.sample)[0]
    title = book.title or lesson.sample
    ws = state.get()
    if ws.portfolio != book:
        mine = ws.portfolio.title or "your own book"
        st.info(f"The workspace holds “{mine}”. The lesson's steps and answers refer to its sample “{title}”.")
        st.button("Load the lesson's sample", key="learn_reload", on_click=lesson_session.reload_sample)
    elif previous and previous["lesson"] == lesson.id:
        mine = previous["workspace"].portfolio.title or "your book"
        # Across a chain of lessons the book kept is the student's own, from before the first lesson, not the
        # sample the previous lesson had loaded: say which one is kept, not what was just replaced.
        st.info(f"This lesson loaded its sample book “{title}” (with the default market) into the workspace. "
                f"Your own book, “{mine}”, is kept: you can go back to it at any time.")
        st.button("Back to my own book", key="learn_restore", on_click=lesson_session.restore_previous)


def rules_note(lesson: Lesson) -> None:
    """Say which rule sets the lesson teaches with; warn, with a way back, when the sidebar's differ."""
    ws = state.get()
    rules = lesson.rules
    own = st.session_state.get(lesson_session.OWN_RULES_KEY)
    back = (f" Your own ({own[0]} / {own[1]}, {own[2]} offsets) come back when you leave the lesson."
            if own and tuple(own) != lesson_session.pinned(lesson) else "")
    st.caption(f"This lesson uses {rules.cross} / {rules.portfolio} (the cross / portfolio rule sets, "
               f"{rules.offsets} offsets) and set them in the sidebar; its comparisons are checked against the "
               f"engine with these rule sets.{back}")
    if lesson_session.rules_of(ws) == lesson_session.pinned(lesson):
        return
    active = RuleSets(*lesson_session.rules_of(ws))
    unchecked = list(dict.fromkeys(item.quote for item in lesson.claims
                                   if item.only == LESSON or (item.only and not active.matches(item.only))))
    yours = f"You now use {ws.cross_preset} / {ws.portfolio_preset} ({ws.portfolio_offsets} offsets)."
    if not unchecked:
        st.caption(f"{yours} Every comparison this lesson makes is generated from the numbers or checked for these "
                   "rule sets too.")
        return
    listed = "; ".join(f"“{quote}”" for quote in unchecked)
    st.warning(f"{yours} The numbers, readouts and answers follow your rule sets, but these words of the lesson "
               f"hold only for its own rule sets: {listed}.")
    st.button("Use the lesson's rule sets", key="learn_pin", on_click=lesson_session.pin_rules, args=(lesson.id,))


def control_panel(lesson: Lesson, index: int, control: Control) -> None:
    ws = state.get()
    value = st.slider(control.label, min_value=control.minimum, max_value=control.maximum, value=control.value,
                      step=control.step, help=control.help, key=f"learn_control_{lesson.id}_{index}")
    result = page.safe(engine_cache.lesson_readout, lesson.id, index, float(value), ws.cross_preset,
                       ws.portfolio_preset, ws.offsets)
    if result is None:
        return
    for column, (label, shown) in zip(st.columns(len(result.metrics)), result.metrics, strict=True):
        column.metric(label, shown, border=True)
    if result.note:
        st.caption(result.note)


def step_panel(lesson: Lesson, number: int) -> None:
    step = lesson.steps[number - 1]
    ws = state.get()
    st.markdown(f"#### {number}. {step.title}")
    words = page.safe(engine_cache.lesson_step_texts, lesson.id, number - 1, ws.cross_preset, ws.portfolio_preset,
                      ws.offsets)
    if words is None:
        return
    look, move, why = words
    st.markdown(f"**Look at** · {look}")
    if move:
        st.markdown(f"**Move** · {move}")
    if step.control is not None:
        control_panel(lesson, number - 1, step.control)
    st.markdown(f"**What happens and why** · {why}")
    if step.preset is not None:
        kind, name = step.preset
        active = state.get().cross_preset if kind == "cross" else state.get().portfolio_preset
        if active == name:
            st.caption(f"The {kind} rule set is {name}.")
        else:
            st.button(f"Use the {name} {kind} rule set", key=f"learn_preset_{lesson.id}_{number}",
                      on_click=lesson_session.use_preset, args=(kind, name))
    if step.page is not None:
        st.page_link(step.page, label=f"Open {PAGE_TITLES.get(step.page, step.page)}", icon=":material/open_in_new:")


def question_panel(lesson: Lesson) -> None:
    ws = state.get()
    rules = (ws.cross_preset, ws.portfolio_preset, ws.offsets)
    st.markdown("#### Check yourself")
    st.caption(f"Answers are computed by the engine when you check them, on the lesson's sample book and the "
               f"default market, with your active rule sets (cross: **{ws.cross_preset}**, portfolio: "
               f"**{ws.portfolio_preset}**{', ' + ws.portfolio_offsets + ' offsets' if ws.offsets else ''}). "
               f"A wrong answer gets a second try before the engine's answer is shown; a right answer scores "
               f"{framework.FIRST_TRY_POINTS:g} at the first try, {framework.LATER_TRY_POINTS:g} at the second.")
    room = classroom.owned() if page.presenter_mode() else None
    note = classroom.joined_note()
    if note:
        st.caption(note)
    if room:
        st.button("Refresh the room's answers", key="classroom_refresh", icon=":material/refresh:")
    for index, question in enumerate(lesson.questions):
        st.markdown(f"**Question {index + 1}.** {question.prompt}")
        key = lesson_session.answer_key(lesson.id, index)
        if question.is_choice:
            st.radio("Your answer", list(range(len(question.options))), format_func=question.options.__getitem__,
                     index=None, key=key)
        else:
            step, fmt = UNIT_INPUT.get(question.unit, (0.01, "%.2f"))
            unit = "USD" if question.unit == "USD price" else question.unit
            st.number_input(f"Your answer ({unit})", value=None, step=step, format=fmt, key=key)
        st.button("Check", key=f"learn_check_{lesson.id}_{index}", on_click=lesson_session.check,
                  args=(lesson.id, index))
        stored = st.session_state.get(lesson_session.feedback_key(lesson.id, index))
        if stored and stored[0] == rules:
            (st.success if stored[1].correct else st.warning)(stored[1].message)
        if room:
            room_answers(lesson, index, room)
    result = lesson_session.lesson_score(lesson, rules)
    if result.settled:
        st.markdown(f"**{framework.score_text(result)}**")
        st.button("Try the questions again", key=f"learn_try_again_{lesson.id}", on_click=lesson_session.try_again,
                  args=(lesson.id,))


def room_answers(lesson: Lesson, index: int, class_id: str) -> None:
    """Presenter mode with a class open: the room's first answers to question ``index``, counted without names."""
    question = lesson.questions[index]
    counts = classroom.answer_counts().counts(class_id, lesson.id, index)
    total = sum(counts.values())
    if not total:
        st.caption("The room's first answers: none yet.")
        return
    labels = question.options if question.is_choice else ("right", "too high", "too low")
    parts = " · ".join(f"{label}: **{counts.get(label, 0)}**" for label in labels)
    st.markdown(f"The room's first answers ({total}, anonymous): {parts}")


def next_panel(lesson: Lesson) -> None:
    """The last step's way on: the next lesson, or after the last one, back to the list."""
    following = catalogue.next_lesson(lesson)
    if following is not None:
        number = catalogue.LESSONS.index(following) + 1
        st.button(f"Next lesson: {number}. {following.title} →", key="learn_next_lesson", on_click=lesson_session.go,
                  args=(following.id, 1), type="primary")
    else:
        st.markdown("That was the last lesson.")
        st.button("Finish: back to the list of lessons", key="learn_finish", on_click=lesson_session.finish,
                  type="primary")


def lesson_panel(lesson: Lesson, number: int) -> None:
    lesson_banner(lesson)
    book_title = samples.load_sample(lesson.sample)[0].title
    st.subheader(lesson.title)
    st.caption(f"Sample: {book_title} · {lesson.summary}")
    rules_note(lesson)
    st.progress(number / lesson.n_steps, text=f"Step {number} of {lesson.n_steps}")
    if number <= len(lesson.steps):
        step_panel(lesson, number)
    else:
        question_panel(lesson)
        next_panel(lesson)
    back, _, forward = st.columns([1, 3, 1])
    back.button("← Back", key="learn_back", disabled=number <= 1, on_click=lesson_session.go,
                args=(lesson.id, number - 1), width="stretch")
    forward.button("Next →", key="learn_next", disabled=number >= lesson.n_steps, on_click=lesson_session.go,
                   args=(lesson.id, number + 1), width="stretch", type="primary")
    compact.arrow_keys("learn_back", "learn_next")  # ← and → step the lesson too
    base = classroom.learn_base()
    if page.presenter_mode():
        st.markdown("##### Class")
        classroom.class_panel(lesson.id, number)
    else:
        st.caption("Share this step with a class (the link loads the lesson's sample book; presenter mode makes a "
                   "class link with a QR code):")
        st.code(f"{base}?lesson={lesson.id}&step={number}", language=None)
    handouts = st.expander("Print this lesson: handout and worksheet", icon=":material/print:",
                           key=f"learn_handouts_{lesson.id}", on_change="rerun")
    if handouts.open:
        with handouts:
            handout_panel.downloads(lesson, base)


def lesson_list() -> None:
    restored = st.session_state.pop(lesson_session.RESTORED_KEY, None)
    if restored:
        st.info(f"Your own rule sets are back: cross {restored[0]} / portfolio {restored[1]} ({restored[2]} "
                "offsets).")
    previous = st.session_state.get(lesson_session.PREVIOUS_KEY)
    if previous and state.get().portfolio != previous["workspace"].portfolio:
        mine = previous["workspace"].portfolio.title or "your own book"
        st.caption(f"The workspace still holds the last lesson's sample; “{mine}” is kept.")
        st.button("Back to my previous book", key="learn_restore_list", on_click=lesson_session.restore_previous)
    st.markdown("Each lesson takes a sample book through a few steps: what to look at, one control to move, what "
                "happens and why, then a question checked on the spot by the engine.")
    ws = state.get()
    rules = (ws.cross_preset, ws.portfolio_preset, ws.offsets)
    for number, lesson in enumerate(catalogue.LESSONS, start=1):
        left, right = st.columns([5, 1])
        result = lesson_session.lesson_score(lesson, rules)
        scored = f" · score {result.points:g} of {result.out_of}" if result.settled else ""
        left.markdown(f"**{number}. {lesson.title}**{scored}  \n{lesson.summary}")
        right.button("Start", key=f"learn_start_{lesson.id}", on_click=lesson_session.go, args=(lesson.id, 1),
                     width="stretch")


def lessons_tab(lesson: Lesson | None, number: int) -> None:
    ids = [None, *(item.id for item in catalogue.LESSONS)]
    titles = {item.id: f"{n}. {item.title}" for n, item in enumerate(catalogue.LESSONS, start=1)}
    wanted = lesson.id if lesson else None
    if st.session_state.get(lesson_session.PICK_KEY) != wanted:
        st.session_state[lesson_session.PICK_KEY] = wanted
    st.selectbox("Lesson", ids, key=lesson_session.PICK_KEY, on_change=lesson_session.on_pick,
                 format_func=lambda i: "Choose a lesson…" if i is None else titles[i])
    if lesson is None:
        lesson_list()
    else:
        lesson_panel(lesson, number)
    stories = st.expander("The sample books and their stories", key="learn_stories", on_change="rerun")
    if stories.open:
        with stories:
            for sample in page.safe(engine_cache.sample_stories) or []:
                st.markdown(f"**{sample['title']}**")
                st.caption(sample["story"])
            st.caption("Pick any of them in the sidebar under “Start from”.")


def glossary_tab(highlight: glossary.Term | None) -> None:
    st.caption("Every term the pages use, in plain language. Each entry has its own link: "
               "…/learn?term=<name>, e.g. " + glossary.term_link("margin ratio", "margin ratio") + ".")
    for group, terms in glossary.by_group().items():
        st.subheader(group, anchor=glossary.slug(group))
        for term in terms:
            mark = "→ " if highlight is not None and term.name == highlight.name else ""
            st.markdown(f'<span id="{term.anchor}"></span>{mark}**{term.name}**: {term.definition}',
                        unsafe_allow_html=True)


def methodology_tab() -> None:
    ws = state.get()
    st.caption(f"Active rule sets: cross = **{ws.cross_preset}**, portfolio = **{ws.portfolio_preset}** "
               "(change them in the sidebar and the formulas follow).")
    methodology.render(CROSS_PRESETS[ws.cross_preset], ws.portfolio_rules, ws.portfolio, ws.market)
