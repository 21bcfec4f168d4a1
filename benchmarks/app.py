"""Time every page of the dashboard in headless chromium against a minimal Streamlit app.

Starts `streamlit run app.py` and `streamlit run benchmarks/minimal_app.py` on free local ports and,
in Debian's chromium, measures for each page: the load time (navigation to the end of the first
script run, charts drawn) and the slider response (key press on the page's first slider to the end
of the script run it triggers), median of several tries, next to the same figures for the minimal
one-slider, one-chart app measured in the same run.

Targets (issue "Speed"): every page within 1.5x the minimal app's slider response; page load
under 2 s on a 2-core machine.

Run: python benchmarks/app.py [--tries N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_support import (  # noqa: E402
    CHROMIUM_ARGS,
    PAGES,
    require_chromium,
    streamlit_server,
    wait_for_idle,
)

OBSERVER = """
() => {
  window.__runs = [];
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => window.__runs.push([performance.now(), app.getAttribute('data-test-script-state')]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}
"""
RUN_FINISHED = """
() => window.__runs.some(r => r[1] === 'running') && window.__runs[window.__runs.length - 1][1] === 'notRunning'
"""


IDLE_NOW = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0;
}"""


def load_time(page, url: str, wants_chart: bool) -> float:
    """Seconds from navigation to the first moment the run is over, nothing is a skeleton and
    (on chart pages) a chart is drawn. wait_for_idle then confirms the page stays settled."""
    start = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function(IDLE_NOW, timeout=60_000, polling=50)
    if wants_chart:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    elapsed = time.perf_counter() - start
    wait_for_idle(page)
    return elapsed


def slider_response(page, attempt: int = 0) -> float | None:
    """Seconds from a click on the page's first slider track to the end of the run it triggers.

    A click at a new spot of the track always changes the value (a key press at the end of the
    range would not), so every measurement has a run to time.
    """
    tracks = page.locator('[data-testid="stSlider"] [role="group"]')
    if tracks.count() == 0:
        return None
    track = tracks.first
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    if box is None:
        return None
    page.evaluate(OBSERVER)
    x = box["x"] + box["width"] * (0.35 if attempt % 2 == 0 else 0.65)
    start = page.evaluate("performance.now()")
    page.mouse.click(x, box["y"] + box["height"] / 2)
    try:
        page.wait_for_function(RUN_FINISHED, timeout=30_000, polling=20)
    except Exception:  # noqa: BLE001 - report the page as unmeasured rather than abort the benchmark
        print(f"  no rerun observed after the slider click on {page.url.split('?')[0]}", file=sys.stderr)
        return None
    end = page.evaluate("window.__runs[window.__runs.length - 1][0]")
    return (end - start) / 1000.0


def measure(browser, base: str, path: str, tries: int, wants_chart: bool) -> tuple[float, float | None]:
    loads, responses = [], []
    for _ in range(tries):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        loads.append(load_time(page, f"{base}/{path}", wants_chart))
        response = slider_response(page, len(loads))
        if response is not None:
            responses.append(response)
        context.close()
    return statistics.median(loads), (statistics.median(responses) if responses else None)


def main(tries: int) -> None:
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        with streamlit_server(ROOT / "benchmarks" / "minimal_app.py") as base:
            floor_load, floor_response = measure(browser, base, "", tries, True)
        with streamlit_server(ROOT / "app.py") as base:
            measure(browser, base, "compare", 1, True)  # warm the caches and imports once
            results = {name: measure(browser, base, name, tries, name in ("compare", "liquidation", "shocks"))
                       for name in PAGES}
        browser.close()
    print(f"{'page':>12} | {'load s':>7} | {'slider s':>8} | {'x floor':>7}")
    print(f"{'minimal app':>12} | {floor_load:7.2f} | {floor_response:8.3f} | {1.0:7.2f}")
    for name, (load, response) in results.items():
        ratio = f"{response / floor_response:7.2f}" if response else "    n/a"
        shown = f"{response:8.3f}" if response else "     n/a"
        print(f"{name:>12} | {load:7.2f} | {shown} | {ratio}")
    worst_load = max(load for load, _ in results.values())
    ratios = [r / floor_response for _, r in results.values() if r]
    print(f"worst page load {worst_load:.2f} s (target < 2 s); worst slider ratio "
          f"{max(ratios) if ratios else float('nan'):.2f}x the minimal app (target <= 1.5x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=5)
    main(parser.parse_args().tries)
