"""Learn: guided lessons on the samples, the glossary and the methodology with the live formulas.

A lesson opens from its URL, ``?lesson=<id>&step=<n>``: a teacher shares one link. Opening a lesson
loads its sample book into the workspace and sets the rule sets it teaches with (``Lesson.rules``),
says so, and offers a way back to the previous book; leaving the lesson (the picker's "Choose a
lesson…", Finish, or "Back to my previous book") gives the student's own rule sets back.
Next/Back keep the URL in step; the last step links to the next lesson. ``?term=<anchor>`` opens
the glossary on that term. Answers are computed by the engine when the student checks them
(lessons/), with the active rule sets from the sidebar; a wrong answer gets a second try before
the engine's answer is shown, and the questions add up to a score for the lesson. The open
lesson's state is :mod:`ui.lesson_session`, its panels :mod:`ui.lesson_panels`. Each lesson offers a
printable handout and worksheet (:mod:`ui.handout_panel`); in presenter mode, a class link with its
QR code and the room's anonymous answer counts (:mod:`ui.classroom`), which a browser joins by
opening that link (``?class=<id>``).
"""

import streamlit as st

from ui import classroom, lesson_panels, lesson_session, page
from views import glossary

TAB_KEY = "learn_tab"
TERM_SHOWN_KEY = "learn_term_shown"
STEP_SHOWN_KEY = "learn_step_shown"
TAB_NAMES = ["Lessons", "Glossary", "Methodology"]

slot = page.begin(lesson_page=True)
st.title("Learn")
lesson, number = lesson_session.current()
classroom.join()
if lesson is not None:
    lesson_session.open_sample(lesson)
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
        lesson_panels.lessons_tab(lesson, number)
if glossary_area.open:
    with glossary_area:
        lesson_panels.glossary_tab(term)
if methodology_area.open:
    with methodology_area:
        lesson_panels.methodology_tab()
page.end(slot)
