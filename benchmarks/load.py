"""Many users at once: N sessions on one local server, each moving a slider for a while.

Starts `streamlit run app.py` on a free loopback port and opens one session per user, each on a
different sample book restored from its share link, on the Liquidation page. Every session moves
the spot-vol elasticity slider back and forth for ``--seconds`` with ``--think`` seconds between
moves (a student reads the chart before moving again). Before that, one session alone does the
same for a baseline. Prints: errors (exceptions, timeouts), whether every session still shows its
own book at the end (no state leaks between sessions), the server's memory over time (caches have
max_entries, so it must level off), and the median slider response with N users against one user
(target: within 2x).

Two kinds of client:

- ``--client websocket`` (default): each user is a websocket client speaking Streamlit's own
  protocol (the BackMsg/ForwardMsg protobufs the browser sends and receives). A response is the
  time from sending the new slider value to the server's "script finished". This is the server's
  side of a classroom: in a real class every student's browser draws on the student's own laptop,
  so 20 headless browsers on the server's two cores would measure the browsers, not the server.
- ``--client browser``: each user is a headless chromium tab (Debian's), timed from the key press
  to the last DOM change of the rerun. On a 2-core machine the tabs compete with the server.

All traffic goes to 127.0.0.1; every loop is bounded in count and time and stops by itself.

Run: python benchmarks/load.py [--users 20] [--seconds 60] [--think 0.5] [--client websocket|browser]
                               [--replicas 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
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
    OBSERVER,
    QUIET_MS,
    SETTLED,
    SLIDER,
    require_chromium,
    rss_megabytes,
    streamlit_server,
)

PAGE = "liquidation"
SLIDER_KEY = "liq_elasticity"
ELASTICITIES = [0.25 * i for i in range(13)]  # the slider's range, 0 to 3 in steps of 0.25
MAX_MOVES = 400  # per session: a hard bound on the loop besides the time limit
RUN_TIMEOUT = 60.0  # seconds a single rerun may take before it counts as an error


class Ready:
    """Holds every session until all have opened the page, then lets each go after its own random
    offset within one think time: the class has the page open, then students start moving sliders,
    not all in the same millisecond. Timings are of slider moves, not of 20 simultaneous page loads.
    A session that fails to open still counts in, so nobody waits forever."""

    def __init__(self, sessions: int, think: float, seed: int = 7) -> None:
        self.left, self.everyone = sessions, asyncio.Event()
        self.offsets = random.Random(seed)
        self.think = think

    def arrived(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.everyone.set()

    async def wait(self) -> None:
        self.arrived()
        await self.everyone.wait()
        await asyncio.sleep(self.offsets.uniform(0.0, self.think))


def books() -> list[tuple[str, str, float]]:
    """(title, share token, expected cross initial in USD) for every sample book."""
    market = default_market()
    out = []
    for path in sorted((ROOT / "sample_portfolios").glob("*.json")):
        book = load_portfolio(path)
        out.append((book.title, encode_share_token(book), cross_margin(book, market).initial))
    return out


def next_value(move: int) -> float:
    """Back and forth along the slider: 0.25, 0.5, ..., 3, 2.75, ..., 0, 0.25, ..."""
    cycle = ELASTICITIES[1:] + ELASTICITIES[-2::-1]
    return cycle[move % len(cycle)]


async def keep_moving(move_once, seconds: float, think: float) -> tuple[list[float], int]:
    """Call ``move_once(move)`` for ``seconds`` (at most MAX_MOVES times), ``think`` seconds apart.

    Returns the response times and the number of moves that failed (a timeout or an exception on
    the page); a failed move is counted and the loop goes on.
    """
    responses, errors = [], 0
    deadline = time.monotonic() + seconds
    for move in range(MAX_MOVES):
        if time.monotonic() >= deadline:
            break
        try:
            responses.append(await asyncio.wait_for(move_once(move), RUN_TIMEOUT + 5))
        except Exception:  # noqa: BLE001 - counted, and the class goes on
            errors += 1
        await asyncio.sleep(think)
    return responses, errors


# -- websocket clients -------------------------------------------------------------------------
class ProtocolSession:
    """One user as Streamlit's browser client would be: a websocket and the same protobuf messages."""

    def __init__(self, socket, query_string: str) -> None:
        self.socket, self.query_string = socket, query_string
        self.widget_states: dict[str, object] = {}  # widget id -> WidgetState, as the browser keeps them
        self.slider_id, self.fragment_id = "", ""
        self.texts: list[str] = []
        self.exceptions = 0

    async def run(self, fragment: bool = False) -> float:
        """Ask for a rerun (of the slider's fragment if ``fragment``); seconds to script finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        message = BackMsg()
        state = message.rerun_script
        state.query_string, state.page_name = self.query_string, PAGE
        state.widget_states.widgets.extend(self.widget_states.values())
        if fragment and self.fragment_id:
            state.fragment_id = self.fragment_id
        start = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        await asyncio.wait_for(self._read_until_finished(), RUN_TIMEOUT)
        return time.perf_counter() - start

    async def _read_until_finished(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.texts = []
        while True:
            message = ForwardMsg()
            message.ParseFromString(await self.socket.recv())
            kind = message.WhichOneof("type")
            if kind == "delta":
                self._read_delta(message.delta)
            elif kind == "script_finished" and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return

    def _read_delta(self, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.exceptions += 1
        elif kind == "markdown":
            self.texts.append(element.markdown.body)
        elif kind == "slider" and element.slider.id.endswith(SLIDER_KEY):
            self.slider_id, self.fragment_id = element.slider.id, delta.fragment_id

    def set_slider(self, value: float) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        state = WidgetState(id=self.slider_id)
        state.double_array_value.data.append(value)
        self.widget_states[self.slider_id] = state


async def websocket_session(base: str, book: tuple[str, str, float], seconds: float, think: float,
                            ready: Ready) -> dict:
    import websockets

    title, token, _ = book
    responses, errors, own_book, arrived = [], 0, False, False
    try:
        async with websockets.connect(base.replace("http://", "ws://") + "/_stcore/stream",
                                      subprotocols=["streamlit"], max_size=None, open_timeout=60) as socket:
            session = ProtocolSession(socket, f"book={token}")
            await session.run()
            if not session.slider_id:
                raise RuntimeError(f"no {SLIDER_KEY} slider on the {PAGE} page")
            arrived = True
            await ready.wait()

            async def move_once(move: int) -> float:
                session.set_slider(next_value(move))
                return await session.run(fragment=True)

            responses, errors = await keep_moving(move_once, seconds, think)
            await session.run()  # a full run: the sidebar summary names the session's book
            others = {other for other, _, _ in books() if other != title}
            own_book = (any(title in text for text in session.texts)
                        and not any(other in text for other in others for text in session.texts))
            errors += session.exceptions
    except Exception as error:  # noqa: BLE001 - report, don't abort the other sessions
        print(f"session on '{title}' failed: {type(error).__name__}: {error}", file=sys.stderr)
        errors += 1
        if not arrived:
            ready.arrived()
    return {"title": title, "responses": responses, "errors": errors, "own_book": own_book}


# -- browser clients ---------------------------------------------------------------------------
async def browser_session(browser, base: str, book: tuple[str, str, float], seconds: float, think: float,
                          ready: Ready) -> dict:
    title, token, _ = book
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    responses, errors, own_book, arrived = [], 0, False, False
    try:
        await page.goto(f"{base}/{PAGE}?book={token}", wait_until="domcontentloaded", timeout=120_000)
        await page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                                     state="attached", timeout=120_000)
        slider = page.locator(SLIDER).first
        await slider.wait_for(timeout=120_000)
        arrived = True
        await ready.wait()

        async def move_once(move: int) -> float:
            await page.evaluate(OBSERVER)
            await slider.focus()
            start = await page.evaluate("performance.now()")
            await slider.press("ArrowRight" if move % 24 < 12 else "ArrowLeft")
            await page.wait_for_function(SETTLED, arg=[start, QUIET_MS], timeout=RUN_TIMEOUT * 1000, polling=50)
            end = await page.evaluate("(t) => Math.max(...window.__mutations.filter(m => m > t))", start)
            if await page.locator('[data-testid="stException"]').count():
                raise RuntimeError("an exception is shown on the page")
            return (end - start) / 1000.0

        responses, errors = await keep_moving(move_once, seconds, think)
        own_book = title.split(":")[0] in await page.locator('[data-testid="stSidebar"]').inner_text()
    except Exception as error:  # noqa: BLE001 - report, don't abort the other sessions
        print(f"session on '{title}' failed: {type(error).__name__}: {error}", file=sys.stderr)
        errors += 1
        if not arrived:
            ready.arrived()
    finally:
        await context.close()
    return {"title": title, "responses": responses, "errors": errors, "own_book": own_book}


# -- the run -----------------------------------------------------------------------------------
async def run(users: int, seconds: float, baseline_seconds: float, think: float, client: str, replicas: int) -> None:
    samples = books()
    with contextlib.ExitStack() as servers:
        # Several replicas stand for the README's sticky load balancer: user i always talks to
        # replica i mod N, as a sticky session would pin it.
        bases = [servers.enter_context(streamlit_server("app.py")) for _ in range(replicas)]
        browser, playwright = None, None
        if client == "browser":
            from playwright.async_api import async_playwright

            playwright = await async_playwright().start()
            browser = await playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)

        async def session(index, book, duration, ready):
            base = bases[index % replicas]
            if browser is not None:
                return await browser_session(browser, base, book, duration, think, ready)
            return await websocket_session(base, book, duration, think, ready)

        def rss() -> float:
            return sum(rss_megabytes(base.pid) for base in bases)

        memory = [("start", rss())]
        alone = await session(0, samples[0], baseline_seconds, Ready(1, think))
        memory.append(("after 1 user", rss()))

        async def sample_memory():
            for tick in range(int(seconds // 10) + 3):
                await asyncio.sleep(10)
                memory.append((f"{users} users, t={10 * (tick + 1)} s", rss()))

        watcher = asyncio.create_task(sample_memory())
        ready = Ready(users, think)
        crowd = await asyncio.gather(*(session(i, samples[i % len(samples)], seconds, ready) for i in range(users)))
        watcher.cancel()
        memory.append((f"after {users} users", rss()))
        if browser is not None:
            await browser.close()
            await playwright.stop()
    report(users, client, think, replicas, alone, crowd, memory)


def report(users: int, client: str, think: float, replicas: int, alone: dict, crowd: list[dict], memory: list) -> None:
    single = statistics.median(alone["responses"]) if alone["responses"] else float("nan")
    pooled = [r for s in crowd for r in s["responses"]]
    many = statistics.median(pooled) if pooled else float("nan")
    tail = statistics.quantiles(pooled, n=10)[-1] if len(pooled) > 10 else float("nan")
    print(f"client: {client}, think time {think:.2f} s between moves, {replicas} server process(es)")
    print(f"one user: {len(alone['responses'])} slider moves, median response {single:.3f} s, "
          f"errors {alone['errors']}, own book {alone['own_book']}")
    print(f"{users} users: {len(pooled)} slider moves, median response {many:.3f} s "
          f"({many / single:.2f}x one user; target <= 2x), 90th percentile {tail:.3f} s")
    print(f"errors across sessions: {sum(s['errors'] for s in crowd)}")
    print(f"sessions showing their own book at the end: {sum(s['own_book'] for s in crowd)}/{users}")
    print(f"server memory (RSS, MB, all {replicas} process(es)): " + ", ".join(f"{label}: {mb:.0f}" for label, mb in memory))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=0.5, help="seconds between one user's slider moves")
    parser.add_argument("--client", choices=("websocket", "browser"), default="websocket")
    parser.add_argument("--replicas", type=int, default=1, help="server processes, users spread over them")
    args = parser.parse_args()
    asyncio.run(run(max(1, min(args.users, 50)), min(args.seconds, 600.0), min(args.baseline_seconds, 120.0),
                    max(0.0, min(args.think, 10.0)), args.client, max(1, min(args.replicas, 8))))
