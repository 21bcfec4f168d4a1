"""Time every page of the dashboard in headless chromium against a minimal Streamlit app.

Starts `streamlit run app.py` and `streamlit run benchmarks/minimal_app.py` on free local ports and,
in Debian's chromium, measures for each page: the cold load time (a fresh browser profile
navigating to the page), the return-visit load time (the same page opened in a new tab of that
profile: scripts cached, a new session), the switch time (a click on the page's link in the
sidebar with the app already open on another page) and the slider response (a click on the page's
first slider), median of several tries, next to the same figures for the minimal one-slider,
one-chart app measured in the same run.

Each figure is taken at two ends:
- *run end*: the script run the action triggered, as the issue words it ("to the end of the script
  run it triggers"): from the "rerun script" message the browser sends (for a load, from the
  document request) to the "script finished" message it receives. Both are timed by chromium's
  network stack through the DevTools protocol, so a main thread busy drawing cannot delay them; the
  slider's own debounce in the browser comes before the first and is not counted.
- *drawn*: from the click (or the navigation) to the page's last DOM change of that run (on a
  load, until a chart is drawn): what a viewer waits for, which adds the slider's debounce and the
  browser's rendering of every element the run sent.

Targets (issue "Speed"): every page within 1.5x the minimal app's slider response; page load
under 2 s on a 2-core machine.

``--share-links`` times instead what a new user of a large book waits for (issue 21): each page
opened from a share link in a fresh browser profile, a sample book's link (the default sample)
against a 200-position, 10-asset book's (benchmarks/engine.py's ``make_book``, a new seed every
try so that no cache has seen it), in alternation on one warm server, then the response to the
page's first slider on that tab; and the first visit of each to a freshly started server. Target: every page settles within 1 s of the same page on the sample.
``--sliders`` times every slider of :data:`SLIDERS` (Build's position size and T+n payoff, Liquidation's
spot-vol elasticity, both Shocks sliders, Replay's day) against the minimal app's slider, the two
clicked in alternation on two open tabs, each click at a new place on the track (so most moves
are a first visit of that value); then each page's first load against the minimal app's, in
alternation, each in a fresh browser profile (issue 21: every slider within 1.5x, first load within
1.2x of the minimal app in the same run). ``--no-loads`` leaves the loads out. ``--sittings N``
repeats all of it N times on fresh servers and ends with each drawn ratio's median over the sittings
and its range: one sitting's ratio moves by 0.2-0.4x from the next on this machine.
``--root DIR`` serves another checkout of the app (an older commit unpacked with ``git archive``)
so that before and after are timed by the same script.

Run: python benchmarks/app.py [--tries N] [--pages build compare ...] [--share-links | --sliders [--no-loads]
[--sittings N]] [--root DIR]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import statistics
import subprocess
import sys
import time
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.engine import ASSET_SETS, make_book  # noqa: E402
from margin.io import encode_share_token  # noqa: E402
from tests.browser_support import (  # noqa: E402
    CHROMIUM_ARGS,
    OBSERVER,
    PAGES,
    QUIET_MS,
    SETTLED,
    ServerURL,
    _wait_until_healthy,
    free_port,
    page_url,
    require_chromium,
    streamlit_server,
    wait_for_idle,
)
from views.link import View, query  # noqa: E402
from views.samples import DEFAULT_SAMPLE, load_sample  # noqa: E402

TITLES = {"build": "Build", "compare": "Compare", "liquidation": "Liquidation", "shocks": "Shocks", "learn": "Learn",
          "replay": "Replay"}
IDLE_NOW = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0;
}"""


class WireLog:
    """A page's websocket frames and document requests, timed by chromium's network stack (DevTools
    protocol), which a main thread busy drawing cannot delay. A script run starts when the browser
    sends Streamlit's "rerun script" message and ends when the "script finished" message arrives."""

    def __init__(self, context, page) -> None:
        self.frames: list[tuple[str, float, str | None]] = []  # (sent or received, seconds, message type)
        self.documents: list[float] = []
        session = context.new_cdp_session(page)
        session.on("Network.webSocketFrameSent", lambda event: self._frame("sent", event))
        session.on("Network.webSocketFrameReceived", lambda event: self._frame("received", event))
        session.on("Network.requestWillBeSent",
                   lambda event: self.documents.append(event["timestamp"]) if event.get("type") == "Document" else None)
        session.send("Network.enable")
        self._session = session

    def _frame(self, direction: str, event: dict) -> None:
        response = event["response"]
        kind = None
        # A control message is a small binary frame; a rerun request carries the query string, which a
        # large book's share link makes a few kB long.
        small = len(response["payloadData"]) < (65536 if direction == "sent" else 8192)
        if response.get("opcode") == 2 and small:
            message = (BackMsg if direction == "sent" else ForwardMsg).FromString(base64.b64decode(response["payloadData"]))
            kind = message.WhichOneof("type")
        self.frames.append((direction, event["timestamp"], kind))

    def mark(self) -> int:
        return len(self.frames)

    def run_seconds(self, since: int, from_document: bool = False) -> float | None:
        """Seconds from the first rerun request after frame ``since`` (or from the page's document
        request) to the last "script finished" received after it."""
        later = self.frames[since:]
        if from_document:
            start = self.documents[-1] if self.documents else None
        else:
            start = next((t for direction, t, kind in later if direction == "sent" and kind == "rerun_script"), None)
        ends = [t for direction, t, kind in later if direction == "received" and kind == "script_finished"]
        return None if start is None or not ends else max(ends) - start


def load_time(page, wire: WireLog, url: str, wants_chart: bool) -> tuple[float | None, float]:
    """(run end, drawn) in seconds from navigation: the end of the page's first run (from the
    document request to the "script finished" message), and the first moment the run is over,
    nothing is a skeleton and (on chart pages) a chart is drawn. wait_for_idle then confirms the
    page stays settled (a run that ends in a rerun counts to the end of the last run)."""
    since = wire.mark()
    start = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function(IDLE_NOW, timeout=60_000, polling=50)
    if wants_chart:
        # A visible one: Build also holds charts in folded expanders.
        page.wait_for_selector(".js-plotly-plot .main-svg >> visible=true", timeout=60_000)
    elapsed = time.perf_counter() - start
    wait_for_idle(page)
    return wire.run_seconds(since, from_document=True), elapsed


def slider_response(page, wire: WireLog, attempt: int = 0) -> tuple[float | None, float] | None:
    """(run end, drawn) in seconds from a click on the page's first visible slider track: to the
    end of the run it triggers, and to that run's last DOM change (the page has then been quiet
    for QUIET_MS and the script is idle).

    The click lands on the far half of the track from the thumb, so the value always changes (a
    key press at the end of the range would not) and every measurement has a run to time. Pages without a slider fall back to
    the sidebar's portfolio-preset select box, the control that reruns everything they show.
    """
    since = wire.mark()
    tracks = page.locator('[data-testid="stMain"] [data-testid="stSlider"] [role="group"]')
    visible = [tracks.nth(i) for i in range(tracks.count()) if tracks.nth(i).is_visible()]
    page.evaluate(OBSERVER)
    start = page.evaluate("performance.now()")
    if visible:
        track = visible[0]
        track.evaluate("element => element.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(100)
        box = track.bounding_box()
        knob = track.locator('input[type="range"]')
        low, high, now = (float(knob.get_attribute(name)) for name in ("min", "max", "value"))
        # Click the far half of the track from the thumb, so the value surely changes.
        target = 0.8 if (now - low) / ((high - low) or 1.0) < 0.5 else 0.2
        start = page.evaluate("performance.now()")
        page.mouse.click(box["x"] + box["width"] * target, box["y"] + box["height"] / 2)
    else:
        start = _choose_other_preset(page, attempt)
        if start is None:
            return None
    try:
        page.wait_for_function(SETTLED, arg=[start, QUIET_MS], timeout=30_000, polling=50)
    except Exception:  # noqa: BLE001 - report the page as unmeasured rather than abort the benchmark
        print(f"  no rerun observed after the control change on {page.url.split('?')[0]}", file=sys.stderr)
        return None
    return _ends(page, wire, since, start)


def _ends(page, wire: WireLog, since: int, start: float) -> tuple[float | None, float]:
    """(run, drawn) in seconds of the run an action triggered: its script run (rerun request sent
    to "script finished" received) and the time from ``start`` (performance.now(), ms) to the
    run's last DOM change."""
    drawn = page.evaluate("(t) => Math.max(...window.__mutations.filter(m => m > t))", start)
    return wire.run_seconds(since), (drawn - start) / 1000.0


def _choose_other_preset(page, attempt: int) -> float | None:
    """Open the sidebar's portfolio-preset select box and pick another preset; return the
    performance.now() of the pick, or None when the page has no such box."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Portfolio margin")
    if box.count() == 0:
        return None
    box.first.click()
    options = page.locator('[role="option"]')
    options.first.wait_for(timeout=5_000)
    # Preset order is classroom, deribit, okx, span; the current one is classroom (the default).
    option = options.nth(1 + attempt % 2)
    start = page.evaluate("performance.now()")
    option.click()
    return start


def switch_time(page, wire: WireLog, title: str, wants_chart: bool) -> tuple[float | None, float] | None:
    """(run end, drawn) in seconds from a click on the page's link in the sidebar navigation (the
    app already open on another page, its scripts and styles loaded) to the end of the page's first
    run and to its last DOM change."""
    link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title)
    if link.count() == 0:
        return None
    page.evaluate(OBSERVER)
    since = wire.mark()
    start = page.evaluate("performance.now()")
    link.first.click()
    page.wait_for_function(SETTLED, arg=[start, QUIET_MS], timeout=60_000, polling=50)
    if wants_chart:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    return _ends(page, wire, since, start)


FIGURES = ("load", "return", "switch", "slider")


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def measure(browser, url: str, tries: int, wants_chart: bool, title: str | None = None, other_url: str | None = None
            ) -> dict[str, tuple[float | None, float | None]]:
    """Median (run end, drawn) of each figure over ``tries``: cold load, return visit, in-app switch
    from ``other_url``, slider response.

    A return visit opens the page in a new tab of the same browser profile, the way a student opens
    the class link a second time: the front end's scripts come from the browser's cache, the
    server starts a new session and runs the page from scratch."""
    taken: dict[str, list[tuple[float | None, float]]] = {name: [] for name in FIGURES}
    for attempt in range(tries):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        wire = WireLog(context, page)
        taken["load"].append(load_time(page, wire, url, wants_chart))
        second = context.new_page()
        taken["return"].append(load_time(second, WireLog(context, second), url, wants_chart))
        second.close()
        response = slider_response(page, wire, attempt + 1)
        if response is not None:
            taken["slider"].append(response)
        if title and other_url:
            load_time(page, wire, other_url, False)
            switched = switch_time(page, wire, title, wants_chart)
            if switched is not None:
                taken["switch"].append(switched)
        context.close()
    return {name: (_median([run for run, _ in pairs]), _median([drawn for _, drawn in pairs]))
            for name, pairs in taken.items()}


def _cell(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pair(pair: tuple[float | None, float | None], digits: int = 2) -> str:
    return f"{_cell(pair[0], digits)} / {_cell(pair[1], digits)}"


def _ratio(value: float | None, floor: float | None) -> str:
    return "n/a" if value is None or not floor else f"{value / floor:.2f}"


def main(tries: int, pages: tuple[str, ...] = PAGES) -> None:
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        with streamlit_server(ROOT / "benchmarks" / "minimal_app.py") as base:
            floor = measure(browser, f"{base}/", tries, True)
        with streamlit_server(ROOT / "app.py") as base:
            measure(browser, page_url(base, "compare"), 1, True)  # warm the caches and imports once
            results = {}
            for name in pages:
                # The in-app switch starts from Learn (from Build for Learn itself).
                other = page_url(base, "build" if name == "learn" else "learn")
                results[name] = measure(browser, page_url(base, name), tries, name in ("compare", "liquidation", "shocks"),
                                        TITLES[name], other)
        browser.close()
    print("seconds, each as run end / drawn (see the module docstring); ratios are to the minimal app's slider")
    header = f"{'page':>12} | {'load':>11} | {'return':>11} | {'switch':>11} | {'slider':>13} | {'x floor run':>11} | {'x floor drawn':>13}"
    print(header)
    rows = {"minimal app": floor, **results}
    for name, figures in rows.items():
        slider = figures["slider"]
        print(f"{name:>12} | {_pair(figures['load']):>11} | {_pair(figures['return']):>11} | "
              f"{_pair(figures['switch']) if name != 'minimal app' else '':>11} | {_pair(slider, 3):>13} | "
              f"{_ratio(slider[0], floor['slider'][0]):>11} | {_ratio(slider[1], floor['slider'][1]):>13}")
    for end, index in (("run end", 0), ("drawn", 1)):
        loads = [f["load"][index] for f in results.values() if f["load"][index] is not None]
        returns = [f["return"][index] for f in results.values() if f["return"][index] is not None]
        ratios = [f["slider"][index] / floor["slider"][index] for f in results.values()
                  if f["slider"][index] is not None and floor["slider"][index]]
        print(f"{end}: worst page load {_cell(max(loads, default=None))} s first visit, "
              f"{_cell(max(returns, default=None))} s return visit (target < 2 s; minimal app "
              f"{_pair(floor['load'])} and {_pair(floor['return'])} s); worst slider ratio "
              f"{_cell(max(ratios, default=None))}x the minimal app (target <= 1.5x)")


@contextlib.contextmanager
def checkout_server(root: Path):
    """``streamlit run app.py`` in ``root`` (its own modules and .streamlit config), headless on a free
    port, as tests.browser_support.streamlit_server does for this checkout; stopped after."""
    if root.resolve() == ROOT:
        with streamlit_server(ROOT / "app.py") as base:
            yield base
        return
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
               str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with open(ROOT / "artifacts" / f"streamlit-{port}.log", "w") as log:
        process = subprocess.Popen(command, cwd=root, stdout=log, stderr=subprocess.STDOUT)
        url = ServerURL(f"http://127.0.0.1:{port}")
        url.pid = process.pid
        try:
            _wait_until_healthy(process, url, root / "app.py", 90.0)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def share_link(base: str, page: str, book) -> str:
    """The page's address with ``book`` in its share link (the sidebar's default rule sets)."""
    return f"{page_url(base, page)}?{query(View(book=encode_share_token(book), cross_preset='hyperliquid', portfolio_preset='classroom'))}"


def share_link_settle(tries: int, pages: tuple[str, ...], root: Path) -> None:
    """Settle times (run end / drawn, s) of each page from a share link: sample against new
    200-position books on a warm server, and each one's first visit to a fresh server."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    (ROOT / "artifacts").mkdir(exist_ok=True)
    sample = load_sample(DEFAULT_SAMPLE)[0]
    seeds = iter(range(1000, 100_000))

    def large():
        return make_book(200, ASSET_SETS[10], seed=next(seeds))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)

        def visit(base: str, page: str, book, slider: list | None = None) -> tuple[float | None, float]:
            """The load's (run end, drawn); then the first slider's response appended to ``slider``."""
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            tab = context.new_page()
            wire = WireLog(context, tab)
            try:
                loaded = load_time(tab, wire, share_link(base, page, book), page != "learn")
                if slider is not None:
                    slider.append(slider_response(tab, wire))
                return loaded
            finally:
                context.close()

        first = {}
        for kind, book in (("sample", sample), ("200 positions", large())):
            with checkout_server(root) as base:
                first[kind] = visit(base, pages[0], book)
        taken: dict[tuple[str, str], list[tuple[float | None, float]]] = {}
        moved: dict[tuple[str, str], list] = {}
        with checkout_server(root) as base:
            visit(base, "compare", large())  # warm the imports, as a server that has served a class
            for page in pages:
                for _ in range(tries):
                    for kind in ("sample", "200 positions"):
                        book = sample if kind == "sample" else large()
                        slider = moved.setdefault((page, kind), [])
                        taken.setdefault((page, kind), []).append(visit(base, page, book, slider))
        browser.close()

    def medians(pairs: list) -> tuple[float | None, float | None]:
        pairs = [pair for pair in pairs if pair is not None]
        return _median([run for run, _ in pairs]), _median([drawn for _, drawn in pairs])

    def later(cells: dict) -> str:
        first, second = cells["sample"][1], cells["200 positions"][1]
        return "n/a" if first is None or second is None else f"{second - first:+.2f} s"

    print(f"share links, {root}: seconds as run end / drawn (median of {tries}), warm server; "
          f"a new 200-position book every try; slider: the page's first slider (or the portfolio preset)")
    print(f"{'page':>12} | {'load: sample':>12} | {'200 pos':>11} | {'drawn later':>11} | "
          f"{'slider: sample':>14} | {'200 pos':>11} | {'drawn later':>11}")
    for page in pages:
        loads = {kind: medians(taken[(page, kind)]) for kind in ("sample", "200 positions")}
        sliders = {kind: medians(moved[(page, kind)]) for kind in ("sample", "200 positions")}
        print(f"{page:>12} | {_pair(loads['sample']):>12} | {_pair(loads['200 positions']):>11} | "
              f"{later(loads):>11} | {_pair(sliders['sample']):>14} | {_pair(sliders['200 positions']):>11} | "
              f"{later(sliders):>11}")
    print(f"first visit to a fresh server, {pages[0]}: sample {_pair(first['sample'])}, "
          f"200 positions {_pair(first['200 positions'])}")


#: The sliders timed by ``--sliders``: (page, the slider's label as shown, the sample book opened by
#: share link). Build's T+n payoff slider needs an option in the book (the default sample has none).
SLIDERS = (
    ("build", "Size (BTC)", DEFAULT_SAMPLE),
    ("build", "Days from now (T+n)", "05_short_strangle.json"),
    ("liquidation", "Spot-vol elasticity (vol rises as price falls)", DEFAULT_SAMPLE),
    ("shocks", "Correlation shock held at", DEFAULT_SAMPLE),
    ("shocks", "Volatility multiplier held at", DEFAULT_SAMPLE),
    ("replay", "Day", DEFAULT_SAMPLE),
)
#: Where each try clicks on the track (fraction of its width): a new value on every try, so that
#: most tries are the slider's first visit to that value (engine caches cold for it).
CLICK_AT = (0.8, 0.2, 0.65, 0.35, 0.9, 0.1, 0.55, 0.45, 0.75, 0.25, 0.95, 0.05)


def click_slider(page, wire: WireLog, label: str | None, at: float) -> tuple[float | None, float] | None:
    """(run end, drawn) in seconds from a click at fraction ``at`` of the track of the slider labelled
    ``label`` (the first slider when None), as :func:`slider_response` times it."""
    sliders = page.locator('[data-testid="stMain"] [data-testid="stSlider"]')
    if label is not None:
        sliders = sliders.filter(has=page.locator('[data-testid="stWidgetLabel"]').get_by_text(label, exact=True))
    if sliders.count() == 0:
        print(f"  no slider {label!r} on {page.url.split('?')[0]}", file=sys.stderr)
        return None
    track = sliders.first.locator('[role="group"]').first
    track.evaluate("element => element.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(150)
    box = track.bounding_box()
    since = wire.mark()
    page.evaluate(OBSERVER)
    start = page.evaluate("performance.now()")
    page.mouse.click(box["x"] + box["width"] * at, box["y"] + box["height"] / 2)
    try:
        page.wait_for_function(SETTLED, arg=[start, QUIET_MS], timeout=30_000, polling=50)
    except Exception:  # noqa: BLE001 - report the slider as unmeasured rather than abort the benchmark
        print(f"  no rerun observed after moving {label!r} on {page.url.split('?')[0]}", file=sys.stderr)
        return None
    return _ends(page, wire, since, start)


def every_slider(tries: int, pages: tuple[str, ...], root: Path, with_loads: bool = True, sittings: int = 1) -> None:
    """Each slider of :data:`SLIDERS` on ``pages`` against the minimal app's slider, and each page's first
    load against the minimal app's (:func:`_sitting`), printed per sitting; with ``sittings`` > 1, each
    drawn ratio's median over the sittings and its range last. One sitting's ratio moves by 0.2-0.4x from
    the next on this machine (docs/performance.md), so a ratio near a target needs several."""
    drawn_ratios: dict[str, list[float | None]] = {}
    for sitting in range(sittings):
        rows, loads = _sitting(tries, pages, root, with_loads)
        if sittings > 1:
            print(f"-- sitting {sitting + 1} of {sittings}")
        for title, ratio in _print_sitting(root, tries, rows, loads).items():
            drawn_ratios.setdefault(title, []).append(ratio)
    if sittings > 1:
        print(f"drawn ratio to the minimal app, median of {sittings} sittings (their range)")
        for title, ratios in drawn_ratios.items():
            known = [r for r in ratios if r is not None]
            summary = (f"{statistics.median(known):.2f} ({min(known):.2f}-{max(known):.2f})" if known else "n/a")
            print(f"{title:>62} | {summary}")


def _sitting(tries: int, pages: tuple[str, ...], root: Path, with_loads: bool) -> tuple[list, dict]:
    """One sitting: each slider of :data:`SLIDERS` on ``pages`` against the minimal app's slider, clicked
    in alternation (slider, minimal, slider, minimal…) on two open tabs of one browser, so that a busy
    moment of the machine hits both; then first loads of each page and of the minimal app, in alternation,
    each in a fresh browser profile, on fresh servers. Returns (the sliders' rows, the loads)."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    (ROOT / "artifacts").mkdir(exist_ok=True)
    chosen = [spec for spec in SLIDERS if spec[0] in pages]
    rows: list[tuple[str, list, list]] = []
    loads: dict[str, tuple[list, list]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        with streamlit_server(ROOT / "benchmarks" / "minimal_app.py") as minimal, checkout_server(root) as base:
            floor_context = browser.new_context(viewport={"width": 1400, "height": 1000})
            floor_tab = floor_context.new_page()
            floor_wire = WireLog(floor_context, floor_tab)
            load_time(floor_tab, floor_wire, f"{minimal}/", True)
            for name, label, sample in chosen:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                tab = context.new_page()
                wire = WireLog(context, tab)
                load_time(tab, wire, share_link(base, name, load_sample(sample)[0]), name != "learn")
                click_slider(tab, wire, label, CLICK_AT[-1])  # the first move of a session warms its widgets
                ours, theirs = [], []
                for attempt in range(tries):
                    at = CLICK_AT[attempt % len(CLICK_AT)]
                    ours.append(click_slider(tab, wire, label, at))
                    theirs.append(click_slider(floor_tab, floor_wire, None, at))
                rows.append((f"{name}: {label}", ours, theirs))
                context.close()
            floor_context.close()
            for name in pages if with_loads else ():
                mine, floor = loads.setdefault(name, ([], []))
                for _ in range(tries):
                    for url, taken in ((page_url(base, name), mine), (f"{minimal}/", floor)):
                        context = browser.new_context(viewport={"width": 1400, "height": 1000})
                        tab = context.new_page()
                        taken.append(load_time(tab, WireLog(context, tab), url, name != "learn" or taken is floor))
                        context.close()
        browser.close()
    return rows, loads


def _medians(pairs: list) -> tuple[float | None, float | None]:
    """Median (run end, drawn) of timed pairs, untimed ones (None) left out."""
    pairs = [pair for pair in pairs if pair is not None]
    return _median([run for run, _ in pairs]), _median([drawn for _, drawn in pairs])


def _print_sitting(root: Path, tries: int, rows: list, loads: dict) -> dict[str, float | None]:
    """Print one sitting's tables; return each row's drawn ratio to the minimal app (None: not timed)."""
    drawn: dict[str, float | None] = {}
    print(f"{root}: seconds as run end / drawn, median of {tries} in alternation with the minimal app")
    print(f"{'slider':>62} | {'minimal app':>13} | {'slider':>13} | {'x run':>6} | {'x drawn':>7}")
    for title, ours, theirs in rows:
        mine, floor = _medians(ours), _medians(theirs)
        print(f"{title:>62} | {_pair(floor, 3):>13} | {_pair(mine, 3):>13} | {_ratio(mine[0], floor[0]):>6} | "
              f"{_ratio(mine[1], floor[1]):>7}")
        drawn[title] = mine[1] / floor[1] if mine[1] is not None and floor[1] else None
    print(f"{'first load':>62} | {'minimal app':>13} | {'page':>13} | {'x run':>6} | {'x drawn':>7}")
    for name, (mine, floor) in loads.items():
        page_load, floor_load = _medians(mine), _medians(floor)
        print(f"{name:>62} | {_pair(floor_load):>13} | {_pair(page_load):>13} | "
              f"{_ratio(page_load[0], floor_load[0]):>6} | {_ratio(page_load[1], floor_load[1]):>7}")
        title = f"first load: {name}"
        drawn[title] = page_load[1] / floor_load[1] if page_load[1] is not None and floor_load[1] else None
    return drawn


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument("--pages", nargs="+", choices=(*PAGES, "replay"), default=None,
                        help="pages to time (default: all; --sliders adds replay)")
    parser.add_argument("--share-links", action="store_true",
                        help="time pages opened from share links: a sample against 200-position books")
    parser.add_argument("--sliders", action="store_true",
                        help="every slider of SLIDERS and each page's first load, in alternation with the minimal app")
    parser.add_argument("--no-loads", action="store_true", help="with --sliders: the sliders only")
    parser.add_argument("--sittings", type=int, default=1,
                        help="with --sliders: repeat on fresh servers and print each ratio's median over the sittings")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (with --share-links, --sliders)")
    arguments = parser.parse_args()
    if arguments.sliders:
        every_slider(arguments.tries, tuple(arguments.pages or (*PAGES, "replay")), arguments.root,
                     not arguments.no_loads, max(1, arguments.sittings))
    elif arguments.share_links:
        share_link_settle(arguments.tries, tuple(arguments.pages or PAGES), arguments.root)
    else:
        main(arguments.tries, tuple(arguments.pages or PAGES))
