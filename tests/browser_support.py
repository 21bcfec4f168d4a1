"""Start the dashboard with `streamlit run` on a free local port and drive Debian's chromium.

Shared by the browser tests and the app benchmark. Chromium comes from Debian's package
(/usr/bin/chromium); we never download a browser. A missing browser is an error, not a skip.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("MARGIN_LAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PAGES = ("build", "compare", "liquidation", "shocks", "learn")


OBSERVER = """
() => {
  // A fast run can flip the script state to running and back inside one React render, so the
  // state attribute alone may never change. Record every DOM mutation instead: the run is over
  // when the script is idle and the page has been quiet for a while; it ended at the last mutation.
  // The data editor refreshes the screen-reader table inside its canvas ~300 ms after drawing
  // (nothing the viewer sees); it would otherwise count as the end of every Build page run.
  window.__mutations = [];
  const inGrid = node => {
    const element = node.nodeType === 1 ? node : node.parentElement;
    return element && element.closest('[data-testid="data-grid-canvas"]') !== null;
  };
  new MutationObserver(records => {
    if (records.some(r => !inGrid(r.target))) window.__mutations.push(performance.now());
  }).observe(document.body, {attributes: true, childList: true, characterData: true, subtree: true});
}
"""
SETTLED = """
(args) => {
  const [clickedAt, quietMs] = args;
  const after = window.__mutations.filter(t => t > clickedAt);
  const app = document.querySelector('[data-testid="stApp"]');
  return after.length > 0 && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
    && performance.now() - after[after.length - 1] > quietMs;
}
"""
#: Quiet time that marks the end of a run's drawing (ms); far above a Plotly redraw's frame gaps.
QUIET_MS = 600


def page_url(base: str, name: str) -> str:
    """A page's URL. Build is the default page and lives at "/": to Streamlit "/build" is an unknown
    path, answered with a "Page not found" dialog over the main page."""
    return f"{base}/" if name == "build" else f"{base}/{name}"


#: A slider's keyboard-focusable handle (Streamlit >= 1.5x renders a react-aria range input).
SLIDER = '[data-testid="stSlider"] input[type="range"], [data-testid="stSlider"] [role="slider"]'


class ServerURL(str):
    """The server's base URL (a str), carrying the server process id for memory readings."""

    pid: int


def rss_megabytes(pid: int) -> float:
    """Resident memory of a process in MB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(script: str | Path = "app.py", timeout: float = 90.0) -> Iterator[ServerURL]:
    """Run ``streamlit run script`` headless on a free port; yield its base URL; stop it after."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats",
               "false", "--server.fileWatcherType", "none"]
    logs = ROOT / "artifacts"
    logs.mkdir(exist_ok=True)
    with open(logs / f"streamlit-{port}.log", "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        url = ServerURL(f"http://127.0.0.1:{port}")
        url.pid = process.pid
        try:
            _wait_until_healthy(process, url, script, timeout)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_healthy(process: subprocess.Popen, url: str, script: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode} before serving {script}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"streamlit did not answer on {url} within {timeout:.0f} s")
        time.sleep(0.3)


def require_chromium() -> str:
    """The chromium path, or an AssertionError that says how to install it (never a skip)."""
    if not Path(CHROMIUM).exists():
        raise AssertionError(
            f"Chromium not found at {CHROMIUM}. Install Debian's package: apt-get install -y chromium "
            "(scripts/test.sh does this). Browser tests fail rather than skip without it."
        )
    return CHROMIUM


_IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0;
}"""


def wait_for_idle(page, timeout_ms: float = 60_000) -> None:
    """Wait until the script run triggered by the last action has finished and its elements are drawn.

    "notRunning" alone is not enough: a run that ends in st.rerun() reads notRunning for a moment,
    and elements still loading show as skeletons. Require both, twice, 400 ms apart.
    """
    for _ in range(2):
        page.wait_for_function(_IDLE, timeout=timeout_ms)
        page.wait_for_timeout(400)
    page.wait_for_function(_IDLE, timeout=timeout_ms)


# -- the shared sidebar and the page's numbers, as a user sees them ---------------------------------
def sidebar_select(page, key: str):
    """The input of the sidebar selectbox with widget key ``key`` (its value is the label shown)."""
    return page.locator(f'[data-testid="stSidebar"] .st-key-{key} input[role="combobox"]')


def choose_in_sidebar(page, key: str, option: str) -> None:
    """Open the sidebar selectbox ``key`` and click the option whose text contains ``option``."""
    sidebar_select(page, key).click()
    page.locator('[role="option"]').filter(has_text=option).first.click()
    wait_for_idle(page)


def sidebar_radio_value(page, key: str) -> str | None:
    """The label of the checked option of the sidebar radio ``key``."""
    checked = page.locator(f'[data-testid="stSidebar"] .st-key-{key} label:has(input:checked)')
    return checked.inner_text().strip() if checked.count() else None


def click_sidebar_radio(page, key: str, option: str) -> None:
    page.locator(f'[data-testid="stSidebar"] .st-key-{key} label').filter(has_text=option).first.click()
    wait_for_idle(page)


def sidebar_toggle(page, key: str):
    return page.locator(f'[data-testid="stSidebar"] .st-key-{key} input[type="checkbox"]')


def click_sidebar_toggle(page, key: str) -> None:
    page.locator(f'[data-testid="stSidebar"] .st-key-{key} label').first.click()
    wait_for_idle(page)


def go_to(page, title: str) -> None:
    """Switch page through the sidebar navigation, as a user does."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    wait_for_idle(page)


def metric_values(page) -> dict[str, str]:
    """label -> "value [delta]" of every st.metric on the page."""
    shown = {}
    cards = page.locator('[data-testid="stMain"] [data-testid="stMetric"]')
    for i in range(cards.count()):
        card = cards.nth(i)
        label = card.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        value = card.locator('[data-testid="stMetricValue"]').inner_text().strip()
        delta = card.locator('[data-testid="stMetricDelta"]')
        shown[label] = value + (f" [{delta.inner_text().strip()}]" if delta.count() else "")
    return shown


# -- how a page reads: text that overflows, chart text and colours (test_screenshots, test_theme) ---
#: Text blocks of the main area that must fit their box: headings, metric cards, captions, markdown,
#: alerts. Each is checked with every descendant that has a box of its own (inline parts have none).
TEXT_BLOCKS = ('[data-testid="stMain"] :is(h1, h2, h3, h4, h5, h6, [data-testid="stMetricLabel"], '
               '[data-testid="stMetricValue"], [data-testid="stMetricDelta"], [data-testid="stCaptionContainer"], '
               '[data-testid="stMarkdownContainer"], [data-testid="stAlert"])')
OVERFLOWING_TEXT = """
(selector) => {
  const found = [];
  for (const block of document.querySelectorAll(selector)) {
    for (const e of [block, ...block.querySelectorAll('*')]) {
      if (e.clientWidth === 0 || e.closest('.js-plotly-plot')) continue;
      if (e.scrollWidth > e.clientWidth + 1)
        found.push({element: e.getAttribute('data-testid') || e.tagName.toLowerCase(),
                    text: (e.innerText || '').trim().slice(0, 80), scrollWidth: e.scrollWidth, clientWidth: e.clientWidth});
    }
  }
  return found;
}
"""
#: Widths (px) of the page and of Streamlit's scrolling main area, and how wide their content is.
HORIZONTAL_EXTENT = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return {viewport: window.innerWidth, document: document.documentElement.scrollWidth,
          main: main.clientWidth, mainContent: main.scrollWidth};
}
"""
#: Per chart on the page: its box, every piece of text outside it, what the legend covers, and the
#: colours it is drawn in (the paper background, a y tick label, the legend text).
CHART_READING = """
() => [...document.querySelectorAll('.js-plotly-plot')].map(chart => {
  const svg = chart.querySelector('.main-svg'), box = svg.getBoundingClientRect();
  const rect = e => e.getBoundingClientRect();
  const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const texts = [...chart.querySelectorAll('text')].filter(t => t.textContent.trim() && rect(t).width > 0);
  const outside = texts.filter(t => { const r = rect(t);
    return r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1; })
    .map(t => t.textContent.trim().slice(0, 60));
  const legend = chart.querySelector('.legend .bg');
  const axisText = texts.filter(t => t.closest('.xtick, .g-xtitle'));
  const covered = legend ? axisText.filter(t => overlap(rect(legend), rect(t))).map(t => t.textContent.trim()) : [];
  const fill = selector => { const e = chart.querySelector(selector); return e ? getComputedStyle(e).fill : null; };
  return {title: (chart.querySelector('.gtitle') || {}).textContent || '', width: box.width, height: box.height,
          texts: texts.length, outside, covered, background: svg.style.background || getComputedStyle(svg).backgroundColor,
          tick: fill('.ytick text'), legendText: fill('.legendtext')};
})
"""


def parse_css_color(color: str) -> tuple[float, float, float]:
    """(r, g, b) 0-255 of a computed CSS colour ("rgb(…)", "rgba(…)"), "#rrggbb", "white" or "black"."""
    named = {"white": (255.0, 255.0, 255.0), "black": (0.0, 0.0, 0.0)}
    if color in named:
        return named[color]
    if color.startswith("#"):
        return tuple(float(int(color[i:i + 2], 16)) for i in (1, 3, 5))
    inside = color[color.index("(") + 1:color.index(")")].replace("/", " ").replace(",", " ").split()
    return tuple(float(part) for part in inside[:3])


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of a CSS colour."""
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in parse_css_color(color)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two CSS colours (1 to 21)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def wait_for_charts(page, timeout_ms: float = 30_000) -> None:
    """Wait until every chart on the page is drawn with its tick labels, and the web fonts are in."""
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=timeout_ms)
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .every(c => c.querySelector('.ytick text'))""", timeout=timeout_ms)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.wait_for_timeout(500)  # a chart drawn before its container's final width redraws once


def full_page_screenshot(page, path: Path) -> None:
    """A screenshot of the whole page. Streamlit scrolls its main area inside a viewport-high box, so a
    plain full-page shot stops at the fold: make the viewport as tall as the content, shoot, restore."""
    size = page.viewport_size
    height = page.evaluate("""() => Math.max(document.querySelector('[data-testid="stMain"]').scrollHeight,
                                             document.documentElement.scrollHeight)""")
    page.set_viewport_size({"width": size["width"], "height": int(height)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    page.wait_for_timeout(300)
