"""A lesson's handout and worksheet, as HTML and PDF, and the Learn page's download buttons.

:func:`handout_of` assembles a ``views.handout.Handout`` from a lesson on its sample book with the
rule sets the lesson pins (``Lesson.rules``): the steps' texts, readouts and questions' answers are
the engine's, the same functions the Learn page calls. The charts are the app's own figures
(``ui.figures``), drawn to static SVG by plotly.js's ``Plotly.toImage``, the renderer Kaleido
drives, in Debian's chromium (``/usr/bin/chromium``) through Playwright; the same browser prints the
HTML to PDF (``page.pdf``: chromium's print engine, A4, the CSS page breaks kept). One browser per
document; no image or PDF library of its own, nothing downloaded.

Without chromium (or Playwright) the HTML is still offered, with a note where each chart would be,
and the PDF buttons say what is missing.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Callable
from pathlib import Path

import plotly.offline
import segno
import streamlit as st

from lessons import catalogue, framework
from lessons.framework import Lesson
from margin import cross_margin, portfolio_margin
from margin.io import encode_share_token, market_overrides
from margin.market import is_stablecoin
from ui import engine_cache, figures
from views import handout, link, samples, scenario_text

#: Debian's chromium; the environment variable serves a machine that keeps it elsewhere.
CHROMIUM = os.environ.get("MARGIN_LAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Charts are drawn this many CSS px wide (the app's main column); the page scales them to its width.
CHART_WIDTH = 900
PAGE_NAMES = {"pages/build.py": "Build", "pages/compare.py": "Compare", "pages/liquidation.py": "Liquidation",
              "pages/shocks.py": "Shocks"}
_TO_SVG = """async ([figure, width, height]) => {
  const url = await Plotly.toImage(figure, {format: 'svg', width: width, height: height});
  return decodeURIComponent(url.slice(url.indexOf(',') + 1));
}"""


# -- assembling a lesson's handout ---------------------------------------------------------------------
def _chart_specs(lesson: Lesson, ctx: framework.Context) -> tuple[dict, dict[int, tuple[str, dict]]]:
    """The Compare bars of the book, and for each step that sends the student to the Liquidation or the
    Shocks page the page's first chart (each page once): step index -> (title, plotly spec)."""
    book, market = ctx.book, ctx.market
    bars = figures.requirement_figure(book, market, ctx.cross, ctx.portfolio)
    charts: dict[int, tuple[str, dict]] = {}
    drawn: set[str] = set()
    assets = [a for a in book.assets() if a in market.prices and not is_stablecoin(a)]
    for index, step in enumerate(lesson.steps):
        if step.page in drawn or step.page not in ("pages/liquidation.py", "pages/shocks.py"):
            continue
        if step.page == "pages/liquidation.py" and assets:
            asset = assets[0]
            spec = figures.liquidation_figure(book, market, asset, ("cross", "portfolio"), ctx.cross, ctx.portfolio,
                                              False, 0.0)
            charts[index] = (f"The Liquidation page: {asset} moves, the other coins held, volatility fixed.", spec)
        elif step.page == "pages/shocks.py":
            charts[index] = _shocks_chart(step, ctx)
        drawn.add(step.page)
    return bars, charts


def _shocks_chart(step, ctx: framework.Context) -> tuple[str, dict]:
    """The Shocks page's line the step reads: against the correlation shock when its words name one, else
    against volatility (each with the other shock at its neutral value, as the page opens)."""
    words = " ".join(str(framework.say(w, ctx)) for w in (step.title, step.look)).lower()
    along, held, title, caption = (
        ("corr_shock", 1.0, "Requirement vs correlation shock", "requirement vs correlation shock, volatility held "
                                                                 "at ×1")
        if "correlation" in words else
        ("vol_mult", 0.0, "Requirement vs volatility", "requirement vs volatility, correlation shock held at 0"))
    spec = figures.sweep_line_figure(ctx.book, ctx.market, ctx.cross, ctx.portfolio, along, held, title)
    marks = engine_cache.sweep_jumps(ctx.book, ctx.market, ctx.cross, ctx.portfolio, along, held)
    jumps = " ".join(f"{number}. " + scenario_text.read_jump(along, getattr(jump, along), jump.scenario_after,
                                                              jump.reason, jump.slope_before)
                     for number, jump in enumerate(marks.itertuples(), start=1))
    return f"The Shocks page: {caption}. {jumps}".strip(), spec


def _question(lesson: Lesson, index: int, ctx: framework.Context) -> handout.Question:
    question = lesson.questions[index]
    solution = question.solve(ctx)
    if question.is_choice:
        answer = " / ".join(f"{chr(ord('A') + i)}. {question.options[i]}" for i in sorted(solution.accepted))
        return handout.Question(index + 1, question.prompt, answer, solution.why, question.options)
    if solution.value is None:
        return handout.Question(index + 1, question.prompt, "no such number with these rule sets", solution.why,
                                unit=question.unit)
    value = float(solution.value)
    return handout.Question(index + 1, question.prompt, framework.fmt(value, question.unit), solution.why,
                            unit=question.unit,
                            tolerance=framework.fmt(framework.tolerance(question, value), question.unit))


def lesson_link(lesson: Lesson, base: str) -> str:
    """A link that opens ``lesson`` at its first step on its sample book with its rule sets ('' without a base)."""
    if not base:
        return ""
    book, market = framework.sample(lesson.sample)
    token = encode_share_token(book, market_overrides(samples.base_market(), market))
    rules = lesson.rules
    view = link.View(token, rules.cross, rules.portfolio, rules.offsets, False, lesson.id, 1)
    return f"{base}?{link.query(view)}"


def handout_of(lesson: Lesson, render_svg: Callable[[dict], str | None] | None = None,
               base: str = "") -> handout.Handout:
    """``lesson``'s handout with the engine's numbers for the rule sets it pins; ``render_svg`` turns a plotly
    spec into SVG (None: the charts are left as notes)."""
    ctx = framework.pinned_context(lesson)
    book, market = ctx.book, ctx.market
    draw = render_svg or (lambda spec: None)
    bars, charts = _chart_specs(lesson, ctx)
    steps = []
    for index, step in enumerate(lesson.steps):
        look, move, why = (framework.say(words, ctx) for words in (step.look, step.move, step.why))
        readout, note, control = (), "", ""
        if step.control is not None:
            reading = step.control.read(ctx, step.control.value)
            readout, note = reading.metrics, reading.note
            control = f"{step.control.label} = {step.control.value:g}"
        chart = None
        if index in charts:
            title, spec = charts[index]
            chart = handout.Chart(title, draw(spec), title)
        steps.append(handout.Step(index + 1, step.title, look, why, move, control, readout, note,
                                  PAGE_NAMES.get(step.page or "", ""), chart))
    positions, collateral = handout.book_tables(book)
    cross = cross_margin(book, market, ctx.cross)
    portfolio = portfolio_margin(book, market, ctx.portfolio)
    title = book.title or lesson.sample
    url = lesson_link(lesson, base)
    return handout.Handout(
        lesson_id=lesson.id, number=catalogue.LESSONS.index(lesson) + 1, title=lesson.title, summary=lesson.summary,
        book_title=title, rules=framework.rules_label(lesson.rules), positions=positions, collateral=collateral,
        requirements=handout.requirement_rows(cross, portfolio),
        steps=tuple(steps), questions=tuple(_question(lesson, i, ctx) for i in range(len(lesson.questions))),
        book_chart=handout.Chart("Initial and maintenance margin, cross vs portfolio", draw(bars),
                                 "The Compare page: initial and maintenance margin of the book under each mode."),
        link=url, link_qr=_qr_svg(url) if url else "",
        notes=(f"Today's prices: {handout.market_line(book, market)}.",))


def _qr_svg(url: str) -> str:
    """A QR code of ``url`` as a standalone SVG document (segno, error correction M)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="svg", scale=4, border=4, xmldecl=False)
    return buffer.getvalue().decode("utf-8")


# -- the browser: charts to SVG, HTML to PDF ---------------------------------------------------------
def chromium_missing() -> str | None:
    """Why PDFs and chart images cannot be made here (None when they can)."""
    if not Path(CHROMIUM).exists():
        return (f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium), so the handouts "
                "come as HTML without their charts.")
    try:
        import playwright.sync_api  # noqa: F401 - only whether it is there
    except ImportError:
        return "Playwright is not installed (pip install playwright), so the handouts come as HTML without charts."
    return None


def _with_page(work: Callable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            return work(browser.new_page())
        finally:
            browser.close()


@functools.lru_cache(maxsize=1)
def _plotly_js() -> str:
    return plotly.offline.get_plotlyjs()


def _svg_renderer(page) -> Callable[[dict], str]:
    """A function that draws a plotly spec to SVG in ``page`` (plotly.js loaded once)."""
    page.set_content("<!DOCTYPE html><html><body></body></html>")
    page.add_script_tag(content=_plotly_js())

    def draw(spec: dict) -> str:
        height = int(spec.get("layout", {}).get("height") or 480)
        return page.evaluate(_TO_SVG, [spec, CHART_WIDTH, height])

    return draw


FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#444;font-family:sans-serif">'
          'Margin Lab · {title} · page <span class="pageNumber"></span> of <span class="totalPages"></span></div>')


def _print(page, markup: str, title: str) -> bytes:
    page.set_content(markup, wait_until="load")
    return page.pdf(format="A4", print_background=True, prefer_css_page_size=True, display_header_footer=True,
                    header_template="<span></span>", footer_template=FOOTER.format(title=title.replace("<", "")))


def documents(lesson: Lesson, base: str = "", pdf: bool = True) -> dict[tuple[str, str], bytes]:
    """Every document of ``lesson``: (variant, "html" | "pdf") -> bytes, both variants, made in one browser.

    Without chromium: the HTML only, charts as notes (``pdf`` is then ignored).
    """
    if chromium_missing():
        made = handout_of(lesson, base=base)
        return {(variant, "html"): handout.render(made, variant).encode("utf-8") for variant in handout.VARIANTS}
    return _with_page(lambda page: documents_in(page, lesson, base, pdf))


def documents_in(page, lesson: Lesson, base: str = "", pdf: bool = True) -> dict[tuple[str, str], bytes]:
    """:func:`documents` drawn and printed in a Playwright ``page`` the caller holds (tests share one browser)."""
    made = handout_of(lesson, _svg_renderer(page), base)
    out = {}
    for variant in handout.VARIANTS:
        markup = handout.render(made, variant)
        out[(variant, "html")] = markup.encode("utf-8")
        if pdf:
            out[(variant, "pdf")] = _print(page, markup, made.title)
    return out


@st.cache_data(show_spinner="Drawing the charts and printing the handout…", max_entries=32)
def cached_documents(lesson_id: str, base: str) -> dict[tuple[str, str], bytes]:
    """:func:`documents` of a lesson, once per server process (the numbers are the pinned rule sets')."""
    return documents(catalogue.BY_ID[lesson_id], base)


# -- the Learn page's buttons ----------------------------------------------------------------------------
def downloads(lesson: Lesson, base: str) -> None:
    """Download buttons for the lesson's handout and worksheet (PDF, and HTML): each made on click."""
    missing = chromium_missing()
    st.caption("A printable page of this lesson: the book, the charts, the steps with their numbers and the "
               f"questions, then the answer key on a page of its own; the numbers are the engine's with "
               f"{framework.rules_label(lesson.rules)}. The worksheet leaves blanks where the answers go.")
    columns = st.columns(4)
    number = catalogue.LESSONS.index(lesson) + 1
    for column, (variant, extension) in zip(columns, (("handout", "pdf"), ("worksheet", "pdf"),
                                                      ("handout", "html"), ("worksheet", "html")), strict=True):
        label = f"{variant.capitalize()} ({extension.upper()})"
        if extension == "pdf" and missing:
            column.button(label, key=f"handout_{lesson.id}_{variant}_{extension}", disabled=True, help=missing,
                          width="stretch")
            continue
        column.download_button(
            label, data=functools.partial(_document, lesson.id, base, variant, extension),
            file_name=handout.file_name(lesson.id, number, variant, extension),
            mime="application/pdf" if extension == "pdf" else "text/html", on_click="ignore",
            key=f"handout_{lesson.id}_{variant}_{extension}", icon=":material/download:", width="stretch")
    if missing:
        st.caption(missing)


def _document(lesson_id: str, base: str, variant: str, extension: str) -> bytes:
    return cached_documents(lesson_id, base)[(variant, extension)]
