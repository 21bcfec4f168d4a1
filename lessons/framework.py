"""The lesson framework: what a lesson is made of (:class:`Lesson`, :class:`Step`, :class:`Control`,
:class:`Question`), what it is computed on (:class:`Context`), how an answer is checked, and the
helpers the lessons share. Pure; no streamlit. Each lesson is a module of this package;
:mod:`lessons.catalogue` lists them.

A lesson is a sample book, a few steps (what to look at, one control to move, what happens and
why) and questions. Answers are never hard-coded: each question's ``solve`` calls the engine when
the student answers, on the lesson's sample book and the default market, with the ACTIVE rule
sets (``Context.cross`` / ``Context.portfolio``). Numeric answers count within a tolerance; in a
multiple-choice question the correct option is picked by comparing engine numbers. A wrong answer
gets a second try (with a hint from the numbers) before the engine's answer is shown.

Texts that compare numbers are either generated from those numbers (a step's ``look`` / ``move`` /
``why`` may be a function of the :class:`Context`) or backed by a :class:`lessons.claims.Claim` in the
lesson's ``claims``, which tests/test_claims.py evaluates under every combination of rule sets, or
under the lesson's own (``Lesson.rules``: the lesson pins them and names them on screen).

Money is USD; percentages the student types are in percent (85.1 means 85.1 %).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from lessons.claims import Claim
from margin import Market, Portfolio, PortfolioParams, cross_margin, liquidation_price, portfolio_margin
from margin.presets import CLASSROOM_PM, DEFAULT_CROSS, DEFAULT_PORTFOLIO, portfolio_params
from views import samples, text
from views.rules import RuleSets

#: Relative change below which two engine numbers count as "the same" in multiple-choice questions.
SAME = 0.005
#: Tries a student gets at a question before the engine's answer is shown.
TRIES = 2
#: The rule sets a lesson teaches with unless it is about a venue: the classroom set (correlated offsets).
CLASSROOM_RULES = RuleSets(DEFAULT_CROSS, CLASSROOM_PM.name, "correlated")


# -- data ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    """What an answer is computed on: the lesson's book and market, and the active rule sets (a portfolio
    rule set by name or as PortfolioParams, e.g. a preset with the sidebar's offsets choice)."""

    book: Portfolio
    market: Market
    cross: str = DEFAULT_CROSS
    portfolio: str | PortfolioParams = DEFAULT_PORTFOLIO

    @property
    def portfolio_name(self) -> str:
        return getattr(self.portfolio, "name", self.portfolio)

    @property
    def portfolio_rules(self) -> PortfolioParams:
        return portfolio_params(self.portfolio)


#: A text of a step: fixed words, or words generated from the numbers of a Context.
Text = str | Callable[[Context], str]


def say(words: Text, ctx: Context) -> str:
    """The words of a step field: ``words`` itself, or generated from ``ctx``."""
    return words(ctx) if callable(words) else words


@dataclass(frozen=True)
class Readout:
    """Live engine numbers next to a lesson's control: (label, value) metrics and a sentence."""

    metrics: tuple[tuple[str, str], ...]
    note: str = ""


@dataclass(frozen=True)
class Control:
    """One slider the student moves inside the lesson; ``read`` computes the numbers it shows."""

    label: str
    minimum: float
    maximum: float
    value: float
    step: float
    read: Callable[[Context, float], Readout]
    help: str = ""


@dataclass(frozen=True)
class Step:
    """What to look at, one control to move, what happens and why (each fixed or generated, see :data:`Text`).

    ``page`` is the app page that shows it in full; ``preset`` = ("cross" | "portfolio", name)
    offers a button that switches the sidebar's rule set.
    """

    title: str
    look: Text
    why: Text
    move: Text = ""
    page: str | None = None
    control: Control | None = None
    preset: tuple[str, str] | None = None


@dataclass(frozen=True)
class Solution:
    """The engine's answer: ``value`` (numeric) or ``accepted`` option indices, and why."""

    why: str
    value: float | None = None
    accepted: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Question:
    """A question checked on the spot. ``options`` empty means a numeric answer in ``unit``."""

    prompt: str
    solve: Callable[[Context], Solution]
    options: tuple[str, ...] = ()
    unit: str = ""
    abs_tol: float = 0.0
    rel_tol: float = 0.0

    @property
    def is_choice(self) -> bool:
        return bool(self.options)


@dataclass(frozen=True)
class Feedback:
    """The result of a check. ``retry``: wrong, and the student may try again before the answer is shown."""

    correct: bool
    message: str
    retry: bool = False

    @property
    def settled(self) -> bool:
        """The question is over: answered right, or the engine's answer has been shown."""
        return self.correct or not self.retry


@dataclass(frozen=True)
class Lesson:
    """A lesson on one sample book, taught with the rule sets ``rules`` (pinned while it is open): the
    classroom rule set unless the lesson is about a venue (:data:`CLASSROOM_RULES`).

    ``claims`` back the fixed words of its texts that compare numbers (see :mod:`lessons.claims`).
    """

    id: str
    title: str
    sample: str
    summary: str
    steps: tuple[Step, ...]
    questions: tuple[Question, ...]
    rules: RuleSets = CLASSROOM_RULES
    claims: tuple[Claim, ...] = ()

    @property
    def n_steps(self) -> int:
        """Content steps plus the final "check yourself" step."""
        return len(self.steps) + 1


def rules_label(rules: RuleSets) -> str:
    """'cross hyperliquid / portfolio classroom, correlated offsets'."""
    return f"cross {rules.cross} / portfolio {rules.portfolio}, {rules.offsets} offsets"


# -- samples and context -------------------------------------------------------------------------
@lru_cache(maxsize=32)
def sample(name: str) -> tuple[Portfolio, Market]:
    """A sample's book and market, as the app loads them (:func:`views.samples.load_sample`), kept once read."""
    return samples.load_sample(name)


def context(lesson: Lesson, cross: str = DEFAULT_CROSS,
            portfolio: str | PortfolioParams = DEFAULT_PORTFOLIO) -> Context:
    book, market = sample(lesson.sample)
    return Context(book, market, cross, portfolio)


def pinned_context(lesson: Lesson) -> Context:
    """The lesson's book and market with the rule sets it teaches with."""
    return context(lesson, lesson.rules.cross, lesson.rules.portfolio_params)


# -- checking ------------------------------------------------------------------------------------
def tolerance(question: Question, expected: float) -> float:
    return max(question.abs_tol, question.rel_tol * abs(expected))


def fmt(value: float | None, unit: str) -> str:
    """A number in the question's unit: '$1,234', '$121.12' (prices), '85.1 %', '2.36×'."""
    if value is None or not math.isfinite(value):
        return "—"
    if unit == "USD":
        return text.money(value)
    if unit == "USD price":
        return text.price(value)
    if unit == "%":
        return f"{value:.1f} %".replace("-", "−")
    if unit == "×":
        return f"{value:.2f}×"
    return f"{value:g}"


def check(question: Question, solution: Solution, answer: float | int | None, attempt: int = TRIES) -> Feedback:
    """Compare the student's answer with the engine's.

    ``attempt`` counts the student's checks of this question (1 = first). A wrong answer before the
    last try gets a hint and another try (``retry``), without the answer; from the last try on, the
    message carries the engine's answer and its numbers.
    """
    if question.is_choice:
        if answer is None:
            return Feedback(False, "Choose one of the options first.", retry=True)
        right = " / ".join(f"“{question.options[i]}”" for i in sorted(solution.accepted))
        if int(answer) in solution.accepted:
            return Feedback(True, f"Right: {right}. {solution.why}")
        if attempt < TRIES:
            return Feedback(False, f"Not quite: “{question.options[int(answer)]}” is not what the engine finds. "
                                   f"{_tries_left(attempt)}", retry=True)
        return Feedback(False, f"Not quite: you chose “{question.options[int(answer)]}”, the engine says {right}. "
                               f"{solution.why}")
    if answer is None or not math.isfinite(float(answer)):
        return Feedback(False, "Enter a number first.", retry=True)
    if solution.value is None:
        return Feedback(False, f"The engine finds no such number with these rule sets. {solution.why}")
    answer, expected = float(answer), float(solution.value)
    tol = tolerance(question, expected)
    shown = f"the engine says {fmt(expected, question.unit)} (answers within ±{fmt(tol, question.unit)} count)"
    if abs(answer - expected) <= tol:
        return Feedback(True, f"Right: {shown}; you answered {fmt(answer, question.unit)}. {solution.why}")
    if attempt < TRIES:
        direction = "high" if answer > expected else "low"
        return Feedback(False, f"Not quite: {fmt(answer, question.unit)} is too {direction}. {_tries_left(attempt)}",
                        retry=True)
    return Feedback(False, f"Not quite: you answered {fmt(answer, question.unit)}; {shown}. {solution.why}")


def _tries_left(attempt: int) -> str:
    left = TRIES - attempt
    return (f"Try again: {'one more try' if left == 1 else f'{left} more tries'} before the engine's answer "
            "is shown.")


# -- the score of a lesson --------------------------------------------------------------------------
#: Points for a question answered right at the first try, and at a later try (before the answer is shown).
FIRST_TRY_POINTS, LATER_TRY_POINTS = 1.0, 0.5


@dataclass(frozen=True)
class Outcome:
    """How a question ended: answered right (or not) at try ``tries`` (1 = the first)."""

    correct: bool
    tries: int


@dataclass(frozen=True)
class Score:
    """A lesson's score: ``points`` out of ``out_of`` (one per question), and how they were earned."""

    points: float
    out_of: int
    first_try: int
    later_try: int
    settled: int


def score(outcomes: Sequence[Outcome | None]) -> Score:
    """The score of a lesson from each question's outcome (None: not settled yet): a right answer at
    the first try earns :data:`FIRST_TRY_POINTS`, at a later try :data:`LATER_TRY_POINTS`, a question whose
    answer had to be shown nothing."""
    first = sum(1 for o in outcomes if o is not None and o.correct and o.tries <= 1)
    later = sum(1 for o in outcomes if o is not None and o.correct and o.tries > 1)
    settled = sum(1 for o in outcomes if o is not None)
    return Score(first * FIRST_TRY_POINTS + later * LATER_TRY_POINTS, len(outcomes), first, later, settled)


def score_text(result: Score) -> str:
    """'Score: 1.5 of 2 (1 right at the first try, 1 at the second; 1 question left).'"""
    def points(value: float) -> str:
        return f"{value:g}"

    parts = [f"{result.first_try} right at the first try"]
    if result.later_try:
        parts.append(f"{result.later_try} at a later try")
    missed = result.settled - result.first_try - result.later_try
    if missed:
        parts.append(f"{missed} shown by the engine")
    left = result.out_of - result.settled
    tail = f"; {left} question{'s' if left != 1 else ''} left" if left else ""
    return f"Score: {points(result.points)} of {result.out_of} ({', '.join(parts)}{tail})."


# -- helpers the lessons share --------------------------------------------------------------------
def close(a: float | None, b: float | None, scale: float) -> bool:
    """True when ``a`` and ``b`` differ by at most :data:`SAME` of ``scale`` (both None counts as equal)."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= SAME * max(abs(scale), 1e-12)


def differs(before: float | None, after: float | None, scale: float) -> bool:
    """Not :func:`close`."""
    return not close(before, after, scale)


def percent_change(before: float, after: float) -> float:
    """Relative change in %, 0 when ``before`` is 0."""
    return (after / before - 1.0) * 100.0 if before else 0.0


def which_word(first: float, second: float, more: str, less: str, equal: str) -> str:
    """``more`` / ``less`` / ``equal`` as ``first`` is above, below or (within SAME) equal to ``second``."""
    if close(first, second, max(abs(first), abs(second))):
        return equal
    return more if first > second else less


def liquidation_at(ctx: Context, asset: str, mode: str, market: Market | None = None,
                   book: Portfolio | None = None, elasticity: float = 0.0) -> float | None:
    """The ``mode`` liquidation price of ``asset`` on ``ctx`` (or on ``market`` / ``book`` instead), with a
    spot-vol ``elasticity``; None when there is none."""
    params = ctx.portfolio if mode == "portfolio" else ctx.cross
    return liquidation_price(book or ctx.book, market or ctx.market, asset, mode, params,
                             spot_vol_elasticity=elasticity)


def price_from_today(value: float | None, today: float) -> str:
    """'$1,234 (−12.3 % from $1,407)', or that there is no such price."""
    if value is None:
        return "nowhere between 0 and 100× today's price"
    return f"{text.price(value)} ({text.percent(value / today - 1, signed=True)} from {text.price(today)})"


def both_margins(ctx: Context, book: Portfolio | None = None, market: Market | None = None):
    """(cross, portfolio) MarginResults of ``ctx``'s book and market (or ``book`` / ``market`` instead)."""
    book, market = book or ctx.book, market or ctx.market
    return cross_margin(book, market, ctx.cross), portfolio_margin(book, market, ctx.portfolio)


def with_qty(book: Portfolio, index: int, qty: float) -> Portfolio:
    """``book`` with position ``index`` resized (dropped at 0)."""
    positions = list(book.positions)
    if qty <= 0:
        positions.pop(index)
    else:
        positions[index] = dataclasses.replace(positions[index], qty=math.copysign(qty, positions[index].qty))
    return book.with_positions(positions)


def position_index(book: Portfolio, test: Callable[[object], bool]) -> int:
    """The index of the first position of ``book`` that passes ``test``."""
    return next(i for i, p in enumerate(book.positions) if test(p))


# -- a lesson's answers, readouts and texts on its sample book ------------------------------------
def clamp_step(lesson: Lesson, step: object) -> int:
    """A 1-based step number from a URL value, clamped to the lesson (1 when unreadable)."""
    try:
        number = int(str(step))
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), lesson.n_steps)


def solve(lesson: Lesson, index: int, cross: str = DEFAULT_CROSS,
          portfolio: str | PortfolioParams = DEFAULT_PORTFOLIO) -> Solution:
    """The engine's answer to question ``index`` of ``lesson`` with the given rule sets."""
    return lesson.questions[index].solve(context(lesson, cross, portfolio))


def read(lesson: Lesson, step: int, value: float, cross: str = DEFAULT_CROSS,
         portfolio: str | PortfolioParams = DEFAULT_PORTFOLIO) -> Readout:
    """The live numbers of the control of ``step`` (0-based content step) at ``value``."""
    control = lesson.steps[step].control
    if control is None:
        raise ValueError(f"step {step + 1} of {lesson.id} has no control")
    return control.read(context(lesson, cross, portfolio), value)


def step_text(lesson: Lesson, step: int, cross: str = DEFAULT_CROSS,
              portfolio: str | PortfolioParams = DEFAULT_PORTFOLIO) -> tuple[str, str, str]:
    """(look, move, why) of ``step`` (0-based content step), generated where they are functions of the numbers."""
    ctx = context(lesson, cross, portfolio)
    item = lesson.steps[step]
    return say(item.look, ctx), say(item.move, ctx), say(item.why, ctx)
