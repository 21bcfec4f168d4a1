"""Learn: guided lessons on the samples, the glossary and the methodology with the live formulas.

A lesson opens from its URL, ``?lesson=<id>&step=<n>``: a teacher shares one link. Opening a lesson
loads its sample book into the workspace and sets the rule sets it teaches with (``Lesson.rules``),
says so, and offers a way back to the previous book; leaving the lesson (the picker's "Choose a
lesson…", Finish, or "Back to my previous book") gives the student's own rule sets back.
Next/Back keep the URL in step; the last step links to the next lesson. ``?term=<anchor>`` opens
the glossary on that term. Answers are computed by the engine when the student checks them
(ui.lessons), with the active rule sets from the sidebar; a wrong answer gets a second try before
the engine's answer is shown.
"""

import streamlit as st

from margin import CROSS_PRESETS
from ui import engine_cache, lessons, methodology, page, state
from ui.claims import LESSON
from views import glossary, samples
from views.rules import RuleSets

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
TAB_NAMES = ["Lessons", "Glossary", "Methodology"]
PAGE_TITLES = {"pages/build.py": "Build", "pages/compare.py": "Compare", "pages/liquidation.py": "Liquidation",
               "pages/shocks.py": "Shocks"}
UNIT_INPUT = {"USD": (1.0, "%.0f"), "USD price": (0.01, "%.2f"), "%": (0.1, "%.1f"), "×": (0.01, "%.2f")}


# -- lesson state: URL and session ---------------------------------------------------------------
def answer_key(lesson_id: str, index: int) -> str:
    return f"learn_answer_{lesson_id}_{index}"


def feedback_key(lesson_id: str, index: int) -> str:
    return f"learn_feedback_{lesson_id}_{index}"


def attempts_key(lesson_id: str, index: int) -> str:
    return f"learn_attempts_{lesson_id}_{index}"


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


def current() -> tuple[lessons.Lesson | None, int]:
    """The open lesson and step: the URL wins, else the session (the URL may be gone after navigation)."""
    wanted = st.query_params.get("lesson")
    if wanted:
        lesson = lessons.get(wanted)
        if lesson is None:
            st.warning(f"There is no lesson called “{wanted}”; choose one below.")
            go(None)
        else:
            st.session_state[LESSON_KEY] = lesson.id
            st.session_state[STEP_KEY] = lessons.clamp_step(lesson, st.query_params.get("step", 1))
    lesson = lessons.get(st.session_state.get(LESSON_KEY))
    if lesson is None:
        return None, 1
    step = lessons.clamp_step(lesson, st.session_state.get(STEP_KEY, 1))
    go(lesson.id, step)
    return lesson, step


def rules_of(ws: state.Workspace) -> tuple[str, str, str]:
    return ws.cross_preset, ws.portfolio_preset, ws.portfolio_offsets


def pinned(lesson: lessons.Lesson) -> tuple[str, str, str]:
    return lesson.rules.cross, lesson.rules.portfolio, lesson.rules.offsets


def apply_rules(rules: tuple[str, str, str]) -> None:
    cross, portfolio, offsets = rules
    state.save(state.get().replace(cross_preset=cross, portfolio_preset=portfolio, offsets=offsets))


def pin_rules(lesson_id: str) -> None:
    """Set the lesson's rule sets, keeping the student's own to give back when the lesson is left."""
    lesson = lessons.BY_ID[lesson_id]
    ws = state.get()
    if rules_of(ws) != pinned(lesson):
        st.session_state.setdefault(OWN_RULES_KEY, rules_of(ws))
        apply_rules(pinned(lesson))


def leave() -> None:
    """Give the student's own rule sets back (the ones before the first lesson they opened)."""
    own = st.session_state.pop(OWN_RULES_KEY, None)
    if own is not None:
        if rules_of(state.get()) != tuple(own):
            st.session_state[RESTORED_KEY] = tuple(own)
        apply_rules(tuple(own))


def _untouched_sample_of(previous: dict | None, ws: state.Workspace) -> bool:
    """True when ``ws`` still holds the sample the lesson of ``previous`` loaded (nothing edited): the book
    to go back to is then still ``previous``'s, not this one."""
    if not previous or previous["lesson"] not in lessons.BY_ID:
        return False
    book, market = samples.load_sample(lessons.BY_ID[previous["lesson"]].sample)
    return ws.portfolio == book and ws.market == market


def load_sample(lesson: lessons.Lesson) -> None:
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
    changed = rules_of(ws) != pinned(lesson)
    pin_rules(lesson.id)
    if _untouched_sample_of(previous, ws):
        previous["lesson"] = lesson.id  # a chain of lessons: the book to go back to stays the student's own
    elif ws.portfolio == book and ws.market == market:
        st.session_state.pop(PREVIOUS_KEY, None)
    else:
        st.session_state[PREVIOUS_KEY] = {"lesson": lesson.id, "workspace": ws}
    if ws.portfolio != book or ws.market != market:
        state.replace_book(book, market, sample=lesson.sample)
        changed = True
    if changed:
        st.rerun()  # redraw the sidebar with the lesson's book and rule sets


def restore_previous() -> None:
    previous = st.session_state.pop(PREVIOUS_KEY, None)
    if previous:
        ws = previous["workspace"]
        state.replace_book(ws.portfolio, ws.market, sample=ws.sample)
    leave()


def reload_sample() -> None:
    st.session_state.pop(LOADED_KEY, None)  # the next run loads the sample again, keeping this book to go back to


def use_preset(kind: str, name: str) -> None:
    field = "cross_preset" if kind == "cross" else "portfolio_preset"
    state.save(state.get().replace(**{field: name}))


def check(lesson_id: str, index: int) -> None:
    """Answer-time check: the engine computes the expected answer with the active rule sets. A wrong
    answer gets another try (lessons.TRIES in all) before the engine's answer is shown."""
    ws = state.get()
    lesson = lessons.BY_ID[lesson_id]
    key = (ws.cross_preset, ws.portfolio_preset, ws.offsets)
    answer = st.session_state.get(answer_key(lesson_id, index))
    attempt = st.session_state.get(attempts_key(lesson_id, index), 0) + (answer is not None)
    st.session_state[attempts_key(lesson_id, index)] = attempt
    try:
        expected = engine_cache.lesson_solution(lesson_id, index, *key)
    except Exception as error:  # noqa: BLE001 - shown as feedback, never a traceback
        result = lessons.Feedback(False, f"The engine could not compute the answer: {type(error).__name__}: {error}")
    else:
        result = lessons.check(lesson.questions[index], expected, answer, max(attempt, 1))
    st.session_state[feedback_key(lesson_id, index)] = (key, result)


# -- drawing -------------------------------------------------------------------------------------
def lesson_banner(lesson: lessons.Lesson) -> None:
    """Say what the lesson did to the workspace, and offer the way back (or forward again)."""
    previous = st.session_state.get(PREVIOUS_KEY)
    book = samples.load_sample(lesson.sample)[0]
    title = book.title or lesson.sample
    ws = state.get()
    if ws.portfolio != book:
        mine = ws.portfolio.title or "your own book"
        st.info(f"The workspace holds “{mine}”. The lesson's steps and answers refer to its sample “{title}”.")
        st.button("Load the lesson's sample", key="learn_reload", on_click=reload_sample)
    elif previous and previous["lesson"] == lesson.id:
        mine = previous["workspace"].portfolio.title or "your book"
        st.info(f"This lesson loaded its sample book “{title}” (with the default market) into the workspace, in "
                f"place of “{mine}”. Your previous book is kept: you can go back to it at any time.")
        st.button("Back to my previous book", key="learn_restore", on_click=restore_previous)


def rules_note(lesson: lessons.Lesson) -> None:
    """Say which rule sets the lesson teaches with; warn, with a way back, when the sidebar's differ."""
    ws = state.get()
    rules = lesson.rules
    own = st.session_state.get(OWN_RULES_KEY)
    back = (f" Your own ({own[0]} / {own[1]}, {own[2]} offsets) come back when you leave the lesson."
            if own and tuple(own) != pinned(lesson) else "")
    st.caption(f"This lesson uses {rules.cross} / {rules.portfolio} (the cross / portfolio rule sets, "
               f"{rules.offsets} offsets) and set them in the sidebar; its comparisons are checked against the "
               f"engine with these rule sets.{back}")
    if rules_of(ws) == pinned(lesson):
        return
    active = RuleSets(*rules_of(ws))
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
    st.button("Use the lesson's rule sets", key="learn_pin", on_click=pin_rules, args=(lesson.id,))


def control_panel(lesson: lessons.Lesson, index: int, control: lessons.Control) -> None:
    ws = state.get()
    value = st.slider(control.label, min_value=control.minimum, max_value=control.maximum, value=control.value,
                      step=control.step, help=control.help, key=f"learn_control_{lesson.id}_{index}")
    result = page.safe(engine_cache.lesson_readout, lesson.id, index, float(value), ws.cross_preset, ws.portfolio_preset, ws.offsets)
    if result is None:
        return
    for column, (label, shown) in zip(st.columns(len(result.metrics)), result.metrics, strict=True):
        column.metric(label, shown, border=True)
    if result.note:
        st.caption(result.note)


def step_panel(lesson: lessons.Lesson, number: int) -> None:
    step = lesson.steps[number - 1]
    ws = state.get()
    st.markdown(f"#### {number}. {step.title}")
    words = page.safe(engine_cache.lesson_step_texts, lesson.id, number - 1, ws.cross_preset, ws.portfolio_preset, ws.offsets)
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
                      on_click=use_preset, args=(kind, name))
    if step.page is not None:
        st.page_link(step.page, label=f"Open {PAGE_TITLES.get(step.page, step.page)}", icon=":material/open_in_new:")


def question_panel(lesson: lessons.Lesson) -> None:
    ws = state.get()
    st.markdown("#### Check yourself")
    st.caption(f"Answers are computed by the engine when you check them, on the lesson's sample book and the "
               f"default market, with your active rule sets (cross: **{ws.cross_preset}**, portfolio: "
               f"**{ws.portfolio_preset}**{', ' + ws.portfolio_offsets + ' offsets' if ws.offsets else ''}).")
    for index, question in enumerate(lesson.questions):
        st.markdown(f"**Question {index + 1}.** {question.prompt}")
        key = answer_key(lesson.id, index)
        if question.is_choice:
            st.radio("Your answer", list(range(len(question.options))), format_func=question.options.__getitem__,
                     index=None, key=key)
        else:
            step, fmt = UNIT_INPUT.get(question.unit, (0.01, "%.2f"))
            unit = "USD" if question.unit == "USD price" else question.unit
            st.number_input(f"Your answer ({unit})", value=None, step=step, format=fmt, key=key)
        st.button("Check", key=f"learn_check_{lesson.id}_{index}", on_click=check, args=(lesson.id, index))
        stored = st.session_state.get(feedback_key(lesson.id, index))
        if stored and stored[0] == (ws.cross_preset, ws.portfolio_preset, ws.offsets):
            (st.success if stored[1].correct else st.warning)(stored[1].message)


def next_panel(lesson: lessons.Lesson) -> None:
    """The last step's way on: the next lesson, or after the last one, back to the list."""
    following = lessons.next_lesson(lesson)
    if following is not None:
        number = lessons.LESSONS.index(following) + 1
        st.button(f"Next lesson: {number}. {following.title} →", key="learn_next_lesson", on_click=go,
                  args=(following.id, 1), type="primary")
    else:
        st.markdown("That was the last lesson.")
        st.button("Finish: back to the list of lessons", key="learn_finish", on_click=finish, type="primary")


def lesson_panel(lesson: lessons.Lesson, number: int) -> None:
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
    back.button("← Back", key="learn_back", disabled=number <= 1, on_click=go, args=(lesson.id, number - 1),
                width="stretch")
    forward.button("Next →", key="learn_next", disabled=number >= lesson.n_steps, on_click=go,
                   args=(lesson.id, number + 1), width="stretch", type="primary")
    base = (getattr(st.context, "url", None) or "").split("?")[0]
    st.caption("Share this step with a class (the link loads the lesson's sample book):")
    st.code(f"{base}?lesson={lesson.id}&step={number}", language=None)


def lesson_list() -> None:
    restored = st.session_state.pop(RESTORED_KEY, None)
    if restored:
        st.info(f"Your own rule sets are back: cross {restored[0]} / portfolio {restored[1]} ({restored[2]} "
                "offsets).")
    previous = st.session_state.get(PREVIOUS_KEY)
    if previous and state.get().portfolio != previous["workspace"].portfolio:
        mine = previous["workspace"].portfolio.title or "your own book"
        st.caption(f"The workspace still holds the last lesson's sample; “{mine}” is kept.")
        st.button("Back to my previous book", key="learn_restore_list", on_click=restore_previous)
    st.markdown("Each lesson takes a sample book through a few steps: what to look at, one control to move, what "
                "happens and why, then a question checked on the spot by the engine.")
    for number, lesson in enumerate(lessons.LESSONS, start=1):
        left, right = st.columns([5, 1])
        left.markdown(f"**{number}. {lesson.title}**  \n{lesson.summary}")
        right.button("Start", key=f"learn_start_{lesson.id}", on_click=go, args=(lesson.id, 1), width="stretch")


def lessons_tab(lesson: lessons.Lesson | None, number: int) -> None:
    ids = [None, *(item.id for item in lessons.LESSONS)]
    titles = {item.id: f"{n}. {item.title}" for n, item in enumerate(lessons.LESSONS, start=1)}
    wanted = lesson.id if lesson else None
    if st.session_state.get(PICK_KEY) != wanted:
        st.session_state[PICK_KEY] = wanted
    st.selectbox("Lesson", ids, key=PICK_KEY, on_change=on_pick,
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


slot = page.begin(lesson_page=True)
st.title("Learn")
lesson, number = current()
if lesson is not None:
    load_sample(lesson)
term = glossary.find(st.query_params.get("term"))
if st.query_params.get("term") and term is None:
    st.warning(f"“{st.query_params.get('term')}” is not in the glossary; the full list is below.")
if term is not None:
    st.info(f"**{term.name}**: {term.definition}")
# Only the open tab is drawn (on_change="rerun"): the glossary and the methodology are ~130
# elements a browser would otherwise rebuild on every change of the book or the rule sets.
# A lesson step that is new (a link, next/back) opens the Lessons tab, a linked term the Glossary,
# each once: afterwards the tab stays where the user puts it.
shown_step = (lesson.id, number) if lesson is not None else None
if shown_step is not None and st.session_state.get(STEP_SHOWN_KEY) != shown_step:
    st.session_state[STEP_SHOWN_KEY] = shown_step
    st.session_state[TAB_KEY] = "Lessons"
if term is not None and st.session_state.get(TERM_SHOWN_KEY) != term.name:
    st.session_state[TERM_SHOWN_KEY] = term.name
    st.session_state[TAB_KEY] = "Glossary"
lessons_area, glossary_area, methodology_area = st.tabs(TAB_NAMES, key=TAB_KEY, on_change="rerun")
if lessons_area.open:
    with lessons_area:
        lessons_tab(lesson, number)
if glossary_area.open:
    with glossary_area:
        glossary_tab(term)
if methodology_area.open:
    with methodology_area:
        methodology_tab()
page.end(slot)
