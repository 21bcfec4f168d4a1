"""Many users at once: N browser sessions on one local server, each moving a slider for a while.

Starts `streamlit run app.py` on a free loopback port, opens one headless-chromium session per
user (each on a different sample book, restored from its share link), and has every session press
the Liquidation page's spot-vol slider back and forth for ``--seconds``. Before that, one session
alone does the same for a baseline. Prints: errors (exception elements, timeouts), whether every
session still shows its own book (no state leaks between sessions), the server's memory over time
(caches have max_entries, so it must level off), and the median slider response with N users
against one user (target: within 2x).

All traffic goes to 127.0.0.1; every loop is bounded in count and time and stops by itself.

Run: python benchmarks/load.py [--users 20] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from margin import cross_margin, default_market, load_portfolio  # noqa: E402
from margin.io import encode_share_token  # noqa: E402
from tests.browser_support import (  # noqa: E402
    CHROMIUM_ARGS,
    SLIDER,
    require_chromium,
    rss_megabytes,
    streamlit_server,
)

OBSERVER = """
() => {
  window.__runs = [];
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => window.__runs.push([performance.now(), app.getAttribute('data-test-script-state')]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}
"""
FINISHED = "() => window.__runs.some(r => r[1] === 'running') && window.__runs.at(-1)[1] === 'notRunning'"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAX_PRESSES = 400  # per session: a hard bound on the loop besides the time limit


def books() -> list[tuple[str, str, float]]:
    """(title, share token, expected cross initial) for every sample book."""
    market = default_market()
    out = []
    for path in sorted((ROOT / "sample_portfolios").glob("*.json")):
        book = load_portfolio(path)
        out.append((book.title, encode_share_token(book), cross_margin(book, market).initial))
    return out


async def session(browser, base: str, book: tuple[str, str, float], seconds: float) -> dict:
    title, token, _ = book
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    responses, errors = [], 0
    try:
        await page.goto(f"{base}/liquidation?book={token}", wait_until="domcontentloaded", timeout=120_000)
        await page.wait_for_selector(IDLE, state="attached", timeout=120_000)
        await page.wait_for_selector(SLIDER, timeout=120_000)
        slider = page.locator(SLIDER).first
        deadline = time.monotonic() + seconds
        presses = 0
        while time.monotonic() < deadline and presses < MAX_PRESSES:
            await page.evaluate(OBSERVER)
            await slider.focus()
            start = await page.evaluate("performance.now()")
            await slider.press("ArrowRight" if presses % 8 < 4 else "ArrowLeft")
            presses += 1
            try:
                await page.wait_for_function(FINISHED, timeout=60_000)
                end = await page.evaluate("window.__runs.at(-1)[0]")
                responses.append((end - start) / 1000.0)
            except Exception:  # noqa: BLE001 - a timeout is counted as an error, the loop goes on
                errors += 1
            errors += await page.locator('[data-testid="stException"]').count()
        sidebar = await page.locator('[data-testid="stSidebar"]').inner_text()
        own_book = title.split(":")[0] in sidebar
    except Exception as error:  # noqa: BLE001 - report, don't abort the other sessions
        print(f"session on '{title}' failed: {type(error).__name__}: {error}", file=sys.stderr)
        errors += 1
        own_book = False
    finally:
        await context.close()
    return {"title": title, "responses": responses, "errors": errors, "own_book": own_book}


async def run(users: int, seconds: float, baseline_seconds: float) -> None:
    from playwright.async_api import async_playwright

    samples = books()
    with streamlit_server("app.py") as base:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
            memory = [("start", rss_megabytes(base.pid))]
            alone = await session(browser, base, samples[0], baseline_seconds)
            memory.append(("after 1 user", rss_megabytes(base.pid)))

            async def sample_memory():
                for tick in range(int(seconds // 10) + 3):
                    await asyncio.sleep(10)
                    memory.append((f"{users} users, t={10 * (tick + 1)} s", rss_megabytes(base.pid)))

            watcher = asyncio.create_task(sample_memory())
            crowd = await asyncio.gather(*(session(browser, base, samples[i % len(samples)], seconds)
                                           for i in range(users)))
            watcher.cancel()
            memory.append((f"after {users} users", rss_megabytes(base.pid)))
            await browser.close()
    single = statistics.median(alone["responses"]) if alone["responses"] else float("nan")
    pooled = [r for s in crowd for r in s["responses"]]
    many = statistics.median(pooled) if pooled else float("nan")
    print(f"one user: {len(alone['responses'])} slider moves, median response {single:.3f} s, errors {alone['errors']}")
    print(f"{users} users: {len(pooled)} slider moves, median response {many:.3f} s "
          f"({many / single:.2f}x one user; target <= 2x), 90th percentile "
          f"{statistics.quantiles(pooled, n=10)[-1] if len(pooled) > 10 else float('nan'):.3f} s")
    print(f"errors across sessions: {sum(s['errors'] for s in crowd)}")
    print(f"sessions showing their own book at the end: {sum(s['own_book'] for s in crowd)}/{users}")
    print("server memory (RSS, MB): " + ", ".join(f"{label}: {mb:.0f}" for label, mb in memory))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(run(max(1, min(args.users, 50)), min(args.seconds, 600.0), min(args.baseline_seconds, 120.0)))
