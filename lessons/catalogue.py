"""Every lesson, in the order the Learn page lists them, and lookups by id."""

from __future__ import annotations

from lessons.binance import BINANCE_PM
from lessons.coin_margined import COIN_MARGINED
from lessons.contagion import CONTAGION
from lessons.correlation import CORRELATION
from lessons.costs_more import COSTS_MORE
from lessons.crash import CRASH
from lessons.diversification import DIVERSIFICATION
from lessons.framework import Lesson
from lessons.haircuts import HAIRCUTS
from lessons.hedge import HEDGE
from lessons.slow_bleed import SLOW_BLEED
from lessons.vol_jump import VOL_JUMP

LESSONS: tuple[Lesson, ...] = (CONTAGION, HEDGE, VOL_JUMP, CORRELATION, SLOW_BLEED, HAIRCUTS, BINANCE_PM,
                               DIVERSIFICATION, COSTS_MORE, COIN_MARGINED, CRASH)
BY_ID: dict[str, Lesson] = {lesson.id: lesson for lesson in LESSONS}


def get(lesson_id: str | None) -> Lesson | None:
    return BY_ID.get(lesson_id) if lesson_id else None


def next_lesson(lesson: Lesson) -> Lesson | None:
    """The lesson after ``lesson`` in the list, None after the last."""
    index = LESSONS.index(lesson)
    return LESSONS[index + 1] if index + 1 < len(LESSONS) else None
