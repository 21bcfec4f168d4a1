"""Several users on one server keep their own books: a short run of the load test's websocket clients.

benchmarks/load.py times 20 users for a minute; this test runs four for a few seconds against a
real `streamlit run` server and checks what must hold whatever the timings: no errors, every
slider move answered, and every session still showing its own book (no state leaks).
"""

import asyncio

from benchmarks.load import Ready, books, websocket_session
from tests.browser_support import streamlit_server


async def _crowd(base: str, users: int, seconds: float) -> list[dict]:
    samples = books()
    ready = Ready(users, think=0.2)
    return await asyncio.gather(*(websocket_session(base, samples[i], seconds, 0.2, ready) for i in range(users)))


def test_concurrent_sessions_keep_their_own_books_and_answer_every_move():
    with streamlit_server("app.py") as base:
        sessions = asyncio.run(_crowd(base, users=4, seconds=4.0))
    titles = {book[0] for book in books()[:4]}
    assert {s["title"] for s in sessions} == titles, "each session was given a different sample book"
    for session in sessions:
        assert session["errors"] == 0, session
        assert len(session["responses"]) >= 3, session  # the slider moves were answered
        assert session["own_book"], f"session on {session['title']!r} no longer shows its own book"
