"""A lesson's printable handout as one HTML page: the book, the requirements, the steps with their
numbers and charts, the questions, and the answer key on a page of its own. Pure: plain data in
(:class:`Handout`, assembled from a lesson by ``ui.handout_panel``), an HTML string out; no
streamlit, no browser.

Two variants from the same data. The **handout** prints every number and lists each question's
options. The **worksheet** leaves a blank where the student writes a number read off the app (each
control's readout) or an answer, and a box before each option. Both end with the answer key, which
starts on a new printed page (CSS ``break-before: page``), so a lecturer can print the questions
without it.

Every number in a :class:`Handout` is a string already formatted from the engine's result (money
in USD as ``views.text.money`` writes it); this module lays them out and never computes one.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from margin import Market, Portfolio
from views import editor, text

Variant = Literal["handout", "worksheet"]
VARIANTS: tuple[Variant, ...] = ("handout", "worksheet")
#: What stands where the worksheet's student writes a number or an answer.
BLANK = "_" * 14
#: The box before each option of a multiple-choice question on the worksheet.
BOX = "☐"
#: The answer key's heading: tests look for it on its own page.
KEY_TITLE = "Answer key"


@dataclass(frozen=True)
class Chart:
    """A static chart: ``svg`` markup (None when no renderer was at hand: the handout says so)."""

    title: str
    svg: str | None
    caption: str = ""


@dataclass(frozen=True)
class Step:
    """A lesson step as printed: look / move / why, and the control's readout at its starting value.

    ``readout`` holds (label, value) pairs from the engine; the worksheet blanks the values.
    """

    number: int
    title: str
    look: str
    why: str
    move: str = ""
    control: str = ""
    readout: tuple[tuple[str, str], ...] = ()
    readout_note: str = ""
    page: str = ""
    chart: Chart | None = None


@dataclass(frozen=True)
class Question:
    """A question with the engine's answer: ``answer`` (formatted number or accepted option(s)), the
    tolerance that counts (numeric questions) and why."""

    number: int
    prompt: str
    answer: str
    why: str
    options: tuple[str, ...] = ()
    unit: str = ""
    tolerance: str = ""


@dataclass(frozen=True)
class Handout:
    """Everything a lesson's handout prints.

    Attributes:
        number, title, summary: the lesson's place in the catalogue, its title and summary.
        book_title: the sample book's title.
        rules: the pinned rule sets in words ('cross hyperliquid / portfolio classroom, correlated offsets').
        positions, collateral: the book's tables (column name -> printed values), as the Build page shows them.
        requirements: (label, cross, portfolio) rows of formatted engine numbers.
        book_chart: the Compare page's bars for the book.
        steps, questions: the lesson's, with the engine's numbers.
        link: a URL that opens the lesson in the app ('' for none); ``link_qr`` its QR code as SVG markup.
    """

    lesson_id: str
    number: int
    title: str
    summary: str
    book_title: str
    rules: str
    positions: tuple[tuple[str, ...], ...]
    collateral: tuple[tuple[str, ...], ...]
    requirements: tuple[tuple[str, str, str], ...]
    steps: tuple[Step, ...]
    questions: tuple[Question, ...]
    book_chart: Chart | None = None
    link: str = ""
    link_qr: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


# -- the book as tables ---------------------------------------------------------------------------------
_POSITION_COLUMNS = {"type": "Type", "asset": "Asset", "side": "Side", "size": "Size", "usd_size": "Size (USD, inverse)",
                     "entry": "Entry", "leverage": "Leverage", "strike": "Strike", "expiry": "Expiry (days)",
                     "isolated_margin": "Isolated margin"}


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return ""
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def book_tables(book: Portfolio) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    """(positions, collateral) of ``book`` as printed rows, header row first: the Build page's columns
    (``views.editor``), with the columns every row leaves empty left out."""
    frame = editor.positions_frame(book)
    shown = [name for name in frame.columns
             if name in _POSITION_COLUMNS and frame[name].map(lambda v: _cell(v) != "").any()]
    positions = (tuple(_POSITION_COLUMNS[name] for name in shown),
                 *(tuple(_cell(row[name]) for name in shown) for _, row in frame.iterrows()))
    held = editor.collateral_frame(book)
    collateral = (("Asset", "Amount"), *((str(row.iloc[0]), _cell(row.iloc[1])) for _, row in held.iterrows()))
    return positions, collateral


def requirement_rows(cross, portfolio) -> tuple[tuple[str, str, str], ...]:
    """(label, cross, portfolio) rows from two ``margin.MarginResult`` (USD)."""
    return (("Initial margin", text.money(cross.initial), text.money(portfolio.initial)),
            ("Maintenance margin", text.money(cross.maintenance), text.money(portfolio.maintenance)),
            ("Equity", text.money(cross.equity), text.money(portfolio.equity)))


def market_line(book: Portfolio, market: Market) -> str:
    """Today's prices of the book's coins, as the handout states them."""
    assets = [a for a in book.assets() if a in market.prices]
    return ", ".join(f"{a} {text.price(market.prices[a])}" for a in assets)


# -- HTML ---------------------------------------------------------------------------------------------
CSS = """
@page { size: A4; margin: 16mm 15mm 16mm 15mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10.5pt; line-height: 1.4;
       color: #111; margin: 0; }
h1 { font-size: 17pt; margin: 0 0 4pt; }
h2 { font-size: 13pt; margin: 14pt 0 4pt; border-bottom: 1px solid #999; padding-bottom: 2pt; }
h3 { font-size: 11.5pt; margin: 10pt 0 3pt; }
p { margin: 3pt 0; }
.meta { color: #333; font-size: 9.5pt; }
table { border-collapse: collapse; margin: 4pt 0 6pt; font-size: 9.5pt; }
th, td { border: 1px solid #bbb; padding: 2pt 6pt; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; }
.step, .question, figure { break-inside: avoid; }
figure { margin: 6pt 0; }
figure img { width: 100%; max-height: 95mm; object-fit: contain; }
figcaption { font-size: 9pt; color: #333; }
.label { font-weight: bold; }
.blank { letter-spacing: 1px; }
.line { display: inline-block; width: 30mm; border-bottom: 1px solid #111; margin-right: 8mm; }
.line.wide { width: 60mm; }
.options { list-style: none; padding-left: 10pt; margin: 2pt 0; }
.answer-line { margin-top: 6pt; }
.lines { height: 18mm; background: repeating-linear-gradient(transparent 0 5.5mm, #999 5.5mm 5.8mm); }
.key { break-before: page; }
.key .question { margin-bottom: 6pt; }
.nochart { border: 1px dashed #999; padding: 6pt; color: #333; font-size: 9pt; }
a { color: #0b4f8a; }
img.qr { float: right; width: 32mm; height: 32mm; margin: 0 0 4pt 8pt; }
h2 { clear: both; }
h2, h3 { break-after: avoid; }
"""


def _e(words: str) -> str:
    return html.escape(words, quote=True)


def _table(rows: tuple[tuple[str, ...], ...], numeric_from: int = 1) -> str:
    if len(rows) <= 1:
        return "<p>(none)</p>"
    header, *body = rows

    def cells(row, tag):
        return "".join(f'<{tag}{" class=num" if i >= numeric_from else ""}>{_e(v)}</{tag}>' for i, v in enumerate(row))

    return (f"<table><thead><tr>{cells(header, 'th')}</tr></thead><tbody>"
            + "".join(f"<tr>{cells(row, 'td')}</tr>" for row in body) + "</tbody></table>")


def _chart(chart: Chart | None) -> str:
    if chart is None:
        return ""
    if chart.svg is None:
        return f'<p class="nochart">Chart “{_e(chart.title)}”: open it in the app (no renderer was available).</p>'
    data = base64.b64encode(chart.svg.encode("utf-8")).decode("ascii")
    caption = f"<figcaption>{_e(chart.caption)}</figcaption>" if chart.caption else ""
    return f'<figure><img alt="{_e(chart.title)}" src="data:image/svg+xml;base64,{data}">{caption}</figure>'


def _readout(step: Step, worksheet: bool) -> str:
    if not step.readout:
        return ""
    rows = (("Reading", "Value"), *((label, BLANK if worksheet else value) for label, value in step.readout))
    lead = "Write down what the app shows" if worksheet else "The app shows"
    note = "" if worksheet or not step.readout_note else f"<p>{_e(step.readout_note)}</p>"
    return f"<p>{lead} with the control at its start ({_e(step.control)}):</p>{_table(rows)}{note}"


def _step(step: Step, worksheet: bool) -> str:
    parts = [f'<section class="step"><h3>Step {step.number}. {_e(step.title)}</h3>',
             f'<p><span class="label">Look at</span> · {_e(step.look)}</p>']
    if step.move:
        parts.append(f'<p><span class="label">Move</span> · {_e(step.move)}</p>')
    parts.append(_readout(step, worksheet))
    if worksheet:  # the explanation answers the questions: the worksheet asks for it, the key gives it
        parts.append('<p><span class="label">What happens, and why?</span></p><div class="lines"></div>')
    else:
        parts.append(f'<p><span class="label">What happens and why</span> · {_e(step.why)}</p>')
    if step.page:
        parts.append(f'<p class="meta">In the app: the {_e(step.page)} page.</p>')
    parts.append("</section>")
    parts.append(_chart(step.chart))
    return "".join(parts)


def _question(question: Question, worksheet: bool) -> str:
    parts = [f'<section class="question"><p><span class="label">Question {question.number}.</span> '
             f"{_e(question.prompt)}</p>"]
    if question.options:
        mark = f"{BOX} " if worksheet else ""
        letters = "".join(f"<li>{mark}{chr(ord('A') + i)}. {_e(option)}</li>"
                          for i, option in enumerate(question.options))
        parts.append(f'<ul class="options">{letters}</ul>')
    if worksheet and not question.options:
        parts.append(f'<p class="answer-line">Your answer: <span class="blank">{BLANK}</span> '
                     f"{_e(_unit_word(question.unit))}</p>")
    parts.append("</section>")
    return "".join(parts)


def _unit_word(unit: str) -> str:
    return "USD" if unit in ("USD", "USD price") else unit


def _key(handout: Handout, worksheet: bool) -> str:
    parts = [f'<section class="key"><h2>{KEY_TITLE}: {_e(handout.title)}</h2>',
             f'<p class="meta">Computed by the engine on the lesson\'s sample book and the default market with '
             f"{_e(handout.rules)}.</p>"]
    if worksheet:
        for step in handout.steps:
            if step.readout:
                shown = "; ".join(f"{label} {value}" for label, value in step.readout)
                parts.append(f"<p><span class=\"label\">Step {step.number}</span> ({_e(step.control)}): "
                             f"{_e(shown)}.</p>")
            parts.append(f"<p><span class=\"label\">Step {step.number}, what happens and why</span> · "
                         f"{_e(step.why)}</p>")
    for question in handout.questions:
        within = f" (answers within ±{_e(question.tolerance)} count)" if question.tolerance else ""
        parts.append(f'<div class="question"><p><span class="label">Question {question.number}:</span> '
                     f"{_e(question.answer)}{within}.</p><p>{_e(question.why)}</p></div>")
    parts.append("</section>")
    return "".join(parts)


def render(handout: Handout, variant: Variant = "handout") -> str:
    """The whole printable page of ``handout`` as HTML (A4, print CSS), in the ``variant`` asked for."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    worksheet = variant == "worksheet"
    kind = "Worksheet" if worksheet else "Handout"
    link = ""
    if handout.link:
        qr = (f'<img class="qr" alt="QR code of the lesson\'s link" src="data:image/svg+xml;base64,'
              f'{base64.b64encode(handout.link_qr.encode("utf-8")).decode("ascii")}">' if handout.link_qr else "")
        link = (f'<p class="meta">{qr}Open this lesson in the app, on its book and rule sets: '
                f'<a href="{_e(handout.link)}">Margin Lab › Learn › lesson {handout.number}</a>'
                f"{' (or scan the code)' if qr else ''}.</p>")
    notes = "".join(f'<p class="meta">{_e(note)}</p>' for note in handout.notes)
    name = "" if not worksheet else '<p>Name: <span class="line wide"></span> Date: <span class="line"></span></p>'
    body = [
        f"<header><p class=\"meta\">Margin Lab · {kind} · Lesson {handout.number}</p>",
        f"<h1>{_e(handout.title)}</h1><p>{_e(handout.summary)}</p>",
        f'<p class="meta">Every number is the engine\'s, computed with {_e(handout.rules)}.</p>{link}{notes}{name}'
        "</header>",
        f"<h2>The book: {_e(handout.book_title)}</h2>",
        _table(handout.positions, numeric_from=3),
        "<p class=\"label\">Collateral</p>", _table(handout.collateral),
        "<p class=\"label\">What each mode asks</p>",
        _table((("", "Cross margin", "Portfolio margin"), *handout.requirements)),
        _chart(handout.book_chart),
        "<h2>Steps</h2>",
        *(_step(step, worksheet) for step in handout.steps),
        "<h2>Check yourself</h2>",
        *(_question(question, worksheet) for question in handout.questions),
        _key(handout, worksheet),
    ]
    title = f"{kind}: {handout.title}"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>")


def file_name(lesson_id: str, number: int, variant: Variant, extension: str) -> str:
    """'margin-lab-lesson-02-hedge-worksheet.pdf'."""
    return f"margin-lab-lesson-{number:02d}-{lesson_id}-{variant}.{extension}"
