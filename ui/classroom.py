"""A class in the room: the class link a presenter hands out (with its QR code), the class a
student's browser joined, and the room's anonymous answer counts.

The class link is the share link (``views.link``: book, rule sets, offsets, lesson and step) plus
``class=<id>``, without presenter mode (a phone gets the normal layout). "Reset the class to
here" pins the lesson and step the presenter is on, makes a fresh link and QR code, and clears
that class's counts. A student who opens the link joins the class: the first answer their
browser gives to each question is counted.

The counts live in the memory of the server process only (:func:`answer_counts`, one
``st.cache_resource`` object shared by every session, guarded by a lock): class id -> (lesson,
question, answer) -> how many. An answer is the option chosen, or for a number whether it was
right, too high or too low: nothing that names or tracks a person, no session id, no address, no
time. Only classes a presenter opened are counted, at most :data:`MAX_CLASSES` of them (the
oldest is dropped), so a forged class id stores nothing. A restart of the server forgets them.
"""

from __future__ import annotations

import io
import secrets
import threading
from collections import Counter, OrderedDict
from urllib.parse import urlencode

import segno
import streamlit as st

from ui import state
from views import link

#: The class this browser belongs to: its own (a presenter's) or one a class link carried.
CLASS_KEY = "classroom_class"
#: The class this session opened as its presenter, and the (lesson, step) its link pins.
OWNED_KEY = "classroom_owned"
PINNED_KEY = "classroom_pinned"
COUNTED_KEY = "classroom_counted"
#: Classes kept in memory at once; opening one more drops the oldest.
MAX_CLASSES = 64


class AnswerCounts:
    """The room's anonymous first answers, per class, in this process's memory (thread-safe)."""

    def __init__(self, max_classes: int = MAX_CLASSES) -> None:
        self._lock = threading.Lock()
        self._classes: OrderedDict[str, Counter] = OrderedDict()
        self._max = max_classes

    def open(self, class_id: str) -> None:
        """Start counting for ``class_id`` from zero (a class that exists is reset)."""
        with self._lock:
            self._classes.pop(class_id, None)
            self._classes[class_id] = Counter()
            while len(self._classes) > self._max:
                self._classes.popitem(last=False)

    def reset(self, class_id: str) -> None:
        """Clear ``class_id``'s counts (it keeps counting)."""
        self.open(class_id)

    def close(self, class_id: str) -> None:
        """Stop counting for ``class_id`` and forget its counts."""
        with self._lock:
            self._classes.pop(class_id, None)

    def is_open(self, class_id: str | None) -> bool:
        with self._lock:
            return class_id in self._classes

    def record(self, class_id: str | None, lesson_id: str, question: int, answer: str) -> bool:
        """Count one answer; False (nothing stored) when ``class_id`` is not an open class."""
        with self._lock:
            counts = self._classes.get(class_id) if class_id else None
            if counts is None:
                return False
            counts[(lesson_id, int(question), str(answer))] += 1
            return True

    def counts(self, class_id: str | None, lesson_id: str, question: int) -> dict[str, int]:
        """answer -> count for one question of one class (empty when none or no such class)."""
        with self._lock:
            counts = self._classes.get(class_id) if class_id else None
            if not counts:
                return {}
            return {answer: n for (lesson, index, answer), n in counts.items()
                    if lesson == lesson_id and index == int(question)}

    def stored(self) -> dict[str, dict[tuple[str, int, str], int]]:
        """Everything held, as plain dicts (what a test inspects: no personal data)."""
        with self._lock:
            return {class_id: dict(counts) for class_id, counts in self._classes.items()}


@st.cache_resource
def answer_counts() -> AnswerCounts:
    """The one store of this server process, shared by every session."""
    return AnswerCounts()


def new_class_id() -> str:
    """A fresh random class id (8 URL-safe characters): unguessable enough that two rooms never meet."""
    return secrets.token_urlsafe(6)


def class_url(base: str, view: link.View) -> str:
    """The class link: ``base`` (the Learn page's URL) and the query string of ``view``."""
    return f"{base}?{urlencode(link.encode(view))}"


def class_view(workspace: state.Workspace, lesson_id: str, step: int, class_id: str) -> link.View:
    """What the class link restores: the workspace's book and rule sets, the lesson at ``step``, the class;
    presenter mode off (students' phones)."""
    return link.View(state.share_token(workspace), workspace.cross_preset, workspace.portfolio_preset,
                     workspace.portfolio_offsets, False, lesson_id, step, class_id=class_id)


def qr_png(url: str, scale: int = 6) -> bytes:
    """A QR code of ``url`` as PNG bytes (segno, error correction M, the standard 4-module quiet zone)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def learn_base() -> str:
    """The Learn page's URL without its query, as the browser sees it ('' when unknown)."""
    url = (getattr(st.context, "url", None) or "").split("?")[0]
    return url


# -- a session's class -------------------------------------------------------------------------------
def join() -> str | None:
    """The class this browser is in: a class link's ``class`` (joined for the session), else the one held."""
    wanted = st.query_params.get(link.CLASS)
    if wanted and link.CLASS_PATTERN.fullmatch(wanted) and st.session_state.get(CLASS_KEY) != wanted:
        st.session_state[CLASS_KEY] = wanted
        st.session_state.pop(COUNTED_KEY, None)
    return st.session_state.get(CLASS_KEY)


def joined_note() -> str | None:
    """What a student's browser in a class is told about the counts (None outside a class, or for its presenter)."""
    class_id = st.session_state.get(CLASS_KEY)
    if not class_id or class_id == owned():
        return None
    if answer_counts().is_open(class_id):
        return (f"You are in class {class_id}: the first answer you give to each question is counted for the room, "
                "without your name or anything else about you.")
    return f"Class {class_id} is not counting answers (it has ended, or the app was restarted)."


def owned() -> str | None:
    """The class this session opened as its presenter (None when it opened none)."""
    return st.session_state.get(OWNED_KEY)


def reset_here(lesson_id: str, step: int) -> None:
    """Pin the class to the book and rule sets of now, ``lesson_id`` at ``step``, with a fresh link and QR
    code, and clear its counts."""
    class_id = owned() or new_class_id()
    st.session_state[OWNED_KEY] = st.session_state[CLASS_KEY] = class_id
    st.session_state[PINNED_KEY] = class_view(state.get(), lesson_id, int(step), class_id)
    st.query_params[link.CLASS] = class_id
    answer_counts().open(class_id)


def end_class() -> None:
    """Stop counting and forget the class (its link still opens the view, nothing more is counted)."""
    class_id = owned()
    if class_id:
        answer_counts().close(class_id)
    for key in (OWNED_KEY, PINNED_KEY, CLASS_KEY):
        st.session_state.pop(key, None)
    if link.CLASS in st.query_params:
        del st.query_params[link.CLASS]


def count_first_answer(lesson_id: str, question: int, answer: str) -> bool:
    """Count this browser's first answer to ``question`` in its class (once per class and question)."""
    class_id = st.session_state.get(CLASS_KEY)
    if not class_id:
        return False
    counted = st.session_state.setdefault(COUNTED_KEY, set())
    if (class_id, lesson_id, question) in counted:
        return False
    counted.add((class_id, lesson_id, question))
    return answer_counts().record(class_id, lesson_id, question, answer)


# -- the presenter's panel --------------------------------------------------------------------------
def class_panel(lesson_id: str, step: int) -> None:
    """Presenter mode: the class link pinned to a step, its QR code, and the way to reset or end the class."""
    pinned: link.View | None = st.session_state.get(PINNED_KEY)
    label = "Class link: reset the class to here" if pinned else "Class link for this step"
    left, right = st.columns([3, 1])
    left.button(label, key="classroom_reset", on_click=reset_here, args=(lesson_id, int(step)), type="primary",
                help="Pins the book, the rule sets, this lesson and this step for everyone who opens the link, "
                     "and starts the room's anonymous answer counts from zero.")
    if pinned:
        right.button("End the class", key="classroom_end", on_click=end_class,
                     help="Stops counting and forgets the counts.")
    class_id = owned()
    if not pinned or not class_id:
        st.caption("A class link opens this exact view (book, rule sets, lesson and step) on every phone; its QR "
                   "code shows here. While the class is open, the first answer each browser gives is counted "
                   "anonymously, in this server's memory only.")
        return
    url = class_url(learn_base(), pinned)
    qr, words = st.columns([1, 2])
    qr.image(qr_png(url), caption="Scan to join", width=260)
    here = (pinned.lesson, pinned.step) == (lesson_id, int(step))
    where = "this step" if here else f"step {pinned.step} of the lesson “{pinned.lesson}”"
    words.markdown(f"**Class {class_id}** · the link opens {where}.")
    words.code(url, language=None, wrap_lines=True, height=110)
    words.caption("Anyone who opens it gets this book, these rule sets and this step; the room's first answers "
                  "are counted without names. Move on and press the button again to bring everyone here (the "
                  "counts start again from zero).")
