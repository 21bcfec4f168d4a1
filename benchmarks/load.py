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

Two ways to reach the replicas:

- ``--via direct`` (default): ``--replicas`` servers started here, user i talking to replica i mod N
  (a stand-in for a sticky balancer).
- ``--via nginx``: the class stack itself, ``scripts/serve_class.sh N`` (nginx in front of N replicas,
  sticky by cookie; docs/serving.md). Each student first loads the page over HTTP, as a browser does,
  keeps the route cookie nginx issues, and opens the websocket with it; the report says whether every
  websocket reached the replica that served the student's page, how the students spread over the
  replicas, and each replica's memory. Students arrive spread over ``--arrival`` seconds.
  ``--kill-after S`` SIGKILLs the replica holding most students S seconds into the class: its students
  reconnect as Streamlit's page does (a pause of 0.25-0.5 s, health pings through nginx with backoff,
  a new websocket), and then run the page with the share link in their URL, which restores the book;
  the report gives how many seconds each was without a page (closed websocket to that run finished
  with the student's own book) and whether every book came back. (The page sends that run by itself
  only when the app has a ``run_every`` fragment; see docs/serving.md.)

All traffic goes to 127.0.0.1; every loop is bounded in count and time and stops by itself. The
machine's load average is printed with the results: other work on the machine slows every figure.

Run: python benchmarks/load.py [--users 20] [--seconds 60] [--think 0.5] [--client websocket|browser]
                               [--replicas 1] [--via direct|nginx] [--arrival 20] [--kill-after S]
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
    the page); a failed move is counted and the loop goes on. A move that returns None was cut by a
    lost connection the client recovered from: it is neither.
    """
    responses, errors = [], 0
    deadline = time.monotonic() + seconds
    for move in range(MAX_MOVES):
        if time.monotonic() >= deadline:
            break
        try:
            response = await asyncio.wait_for(move_once(move), RUN_TIMEOUT + 5)
        except Exception:  # noqa: BLE001 - counted, and the class goes on
            errors += 1
        else:
            if response is not None:  # None: the connection was lost and came back (counted apart)
                responses.append(response)
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


class ConnectionLost(Exception):
    """The student's websocket closed under a move (the replica went away)."""


class Student:
    """One student's websocket client, optionally through nginx: the page load that gets the route
    cookie, the websocket that carries it, and a reconnection as Streamlit's page makes one."""

    def __init__(self, base: str, token: str, through_nginx: bool, title: str) -> None:
        self.base, self.token, self.through_nginx, self.title = base, token, through_nginx, title
        self.leaving = False
        self.recovering: asyncio.Task | None = None  # the reconnection under way, started when the socket closed
        self.cookie: str | None = None
        self.page_replica = self.socket_replica = ""
        self.socket = self.session = None
        self.replicas_seen: list[str] = []
        self.outages: list[float] = []  # seconds from a closed websocket to the page's run finished again
        self.books_back: list[bool] = []  # after each reconnection: the student's own book?

    def _get(self, path: str) -> tuple[int, dict]:
        import urllib.request

        request = urllib.request.Request(self.base + path, headers={"Cookie": self.cookie} if self.cookie else {})
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
            return answer.status, dict(answer.headers)

    async def load_page(self) -> None:
        """GET the page as a browser does first: nginx issues the route cookie and names the replica."""
        from tests.test_serve_class import REPLICA_HEADER, ROUTE_COOKIE

        status, headers = await asyncio.to_thread(self._get, f"/{PAGE}?book={self.token}")
        issued = headers.get("Set-Cookie", "")
        if issued.startswith(ROUTE_COOKIE + "="):
            self.cookie = issued.split(";")[0]
        self.page_replica = headers.get(REPLICA_HEADER, "")

    async def connect(self) -> None:
        import websockets

        from tests.test_serve_class import REPLICA_HEADER

        self.socket = await websockets.connect(
            self.base.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"], max_size=None,
            open_timeout=120, additional_headers={"Cookie": self.cookie} if self.cookie else {})
        self.socket_replica = self.socket.response.headers.get(REPLICA_HEADER, "")
        self.replicas_seen.append(self.socket_replica)
        widgets = self.session.widget_states if self.session else {}
        self.session = ProtocolSession(self.socket, f"book={self.token}")
        self.session.widget_states = widgets
        if self.through_nginx:
            self._watcher = asyncio.create_task(self._watch(self.socket))

    async def _watch(self, socket) -> None:
        """The page reconnects the moment its websocket closes, not at the student's next move."""
        await socket.wait_closed()
        if not self.leaving and socket is self.socket:
            self.recovering = asyncio.create_task(self.reconnect(time.perf_counter()))

    async def recovered(self) -> None:
        """Wait for the reconnection the closed socket started (its errors are the caller's)."""
        for _ in range(200):  # the watcher notices a closed socket within milliseconds
            if self.recovering is not None:
                break
            await asyncio.sleep(0.01)
        if self.recovering is None:
            raise ConnectionLost("the websocket failed but did not close")
        await self.recovering

    async def reconnect(self, lost_at: float) -> None:
        """As Streamlit's page: wait 0.25-0.5 s, ping /_stcore/health (and host-config) through nginx with
        the route cookie, backing off from 0.1 s doubling to at most 4 s, open a new websocket; then run
        the page with the URL's query string (the share link restores the book)."""
        with contextlib.suppress(Exception):
            await self.socket.close()
        await asyncio.sleep(random.uniform(0.25, 0.5))
        delay = 0.1
        for _ in range(60):
            try:
                status, _ = await asyncio.to_thread(self._get, "/_stcore/health")
                if status == 200:
                    await asyncio.to_thread(self._get, "/_stcore/host-config")
                    break
            except OSError:
                pass
            await asyncio.sleep(delay * random.uniform(0.7, 1.0))
            delay = min(delay * 2, 4.0)
        await self.connect()
        await self.session.run()
        self.outages.append(time.perf_counter() - lost_at)
        self.books_back.append(any(self.title in text for text in self.session.texts))

    async def close(self) -> None:
        self.leaving = True
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()


async def websocket_session(base: str, book: tuple[str, str, float], seconds: float, think: float,
                            ready: Ready, through_nginx: bool = False, arrive_after: float = 0.0,
                            titles: frozenset[str] = frozenset(), placed: list[str] | None = None,
                            seen: dict[str, set] | None = None) -> dict:
    from websockets.exceptions import ConnectionClosed

    title, token, _ = book
    seen = {} if seen is None else seen
    student = Student(base, token, through_nginx, title)
    responses, errors, own_book, arrived = [], 0, False, False
    try:
        await asyncio.sleep(arrive_after)
        if through_nginx:
            await student.load_page()
        await student.connect()
        if placed is not None:
            placed.append(student.socket_replica)
        await student.session.run()
        if not student.session.slider_id:
            raise RuntimeError(f"no {SLIDER_KEY} slider on the {PAGE} page")
        arrived = True
        await ready.wait()

        async def move_once(move: int) -> tuple[float, bool] | None:
            if student.recovering is not None and not student.recovering.done():
                await student.recovering  # the page is reconnecting: the student waits for it
            value = next_value(move)
            student.session.set_slider(value)
            # The first time a replica draws this book at this value its caches miss (it computes the
            # curves); after that the figure comes from st.cache_data. Told apart in the report.
            drawn = seen.setdefault(student.socket_replica or base, set())
            first = (title, value) not in drawn
            drawn.add((title, value))
            try:
                return await student.session.run(fragment=True), first
            except (ConnectionClosed, OSError):
                if not through_nginx:
                    raise
                await student.recovered()
                return None

        responses, errors = await keep_moving(move_once, seconds, think)
        await student.session.run()  # a full run: the sidebar summary names the session's book
        others = titles - {title}
        own_book = (any(title in text for text in student.session.texts)
                    and not any(other in text for other in others for text in student.session.texts))
        errors += student.session.exceptions
    except Exception as error:  # noqa: BLE001 - report, don't abort the other sessions
        print(f"session on '{title}' failed: {type(error).__name__}: {error}", file=sys.stderr)
        errors += 1
        if not arrived:
            ready.arrived()
    finally:
        await student.close()
    return {"title": title, "responses": responses, "errors": errors, "own_book": own_book,
            "page_replica": student.page_replica, "replicas": student.replicas_seen,
            "outages": student.outages, "books_back": student.books_back}


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
def machine_load() -> str:
    one, five, fifteen = __import__("os").getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({__import__('os').cpu_count()} cores)"


async def run(users: int, seconds: float, baseline_seconds: float, think: float, client: str, replicas: int,
              via: str, arrival: float, kill_after: float | None, baseline_think: float) -> None:
    samples = books()
    titles = frozenset(title for title, _, _ in samples)
    through_nginx = via == "nginx"
    loads = [("start", machine_load())]
    with contextlib.ExitStack() as servers:
        if through_nginx:
            from tests.test_serve_class import class_stack

            stack = servers.enter_context(class_stack(replicas))
            bases = [stack.url] * replicas

            def replica_pids() -> dict[str, int]:
                pids = {}
                for index, port in enumerate(stack.replica_ports(), start=1):
                    with contextlib.suppress(OSError, ValueError):
                        pids[str(port)] = stack.replica_pid(index)
                return pids
        else:
            # Several replicas stand for a sticky load balancer: user i always talks to replica i mod N.
            bases = [servers.enter_context(streamlit_server("app.py")) for _ in range(replicas)]

            def replica_pids() -> dict[str, int]:
                return {base.rsplit(":", 1)[1]: base.pid for base in bases}
        placed: list[str] = []  # the replica each student's websocket reached (port)
        seen: dict[str, set] = {}  # per replica: the (book, slider value) pairs it has drawn
        browser, playwright = None, None
        if client == "browser":
            from playwright.async_api import async_playwright

            playwright = await async_playwright().start()
            browser = await playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)

        async def session(index, book, duration, ready, arrive_after=0.0, pace=think):
            base = bases[index % replicas]
            if browser is not None:
                return await browser_session(browser, base, book, duration, pace, ready)
            return await websocket_session(base, book, duration, pace, ready, through_nginx, arrive_after, titles,
                                           placed, seen)

        def rss() -> dict[str, float]:
            return {port: rss_megabytes(pid) for port, pid in replica_pids().items()}

        memory = [("start", rss())]
        # The baseline: one student alone on one replica, moving every --baseline-think seconds (alone,
        # the pace changes nothing but how often the slider's values repeat, i.e. the cache hits).
        alone = await session(0, samples[0], baseline_seconds, Ready(1, baseline_think), pace=baseline_think)
        memory.append(("after 1 user", rss()))
        loads.append(("after 1 user", machine_load()))

        async def sample_memory():
            for tick in range(int((seconds + arrival) // 10) + 30):
                await asyncio.sleep(10)
                with contextlib.suppress(OSError):
                    memory.append((f"{users} users, t={10 * (tick + 1)} s", rss()))
                if tick % 3 == 2:
                    loads.append((f"{users} users, t={10 * (tick + 1)} s", machine_load()))

        killed: list[tuple[str, int]] = []

        async def kill_one(ready: Ready) -> None:
            import os
            import signal

            await ready.everyone.wait()
            await asyncio.sleep(kill_after)
            pids = replica_pids()
            crowded = max(pids, key=placed.count)  # the replica holding most students
            os.kill(pids[crowded], signal.SIGKILL)
            killed.append((crowded, pids[crowded]))

        watcher = asyncio.create_task(sample_memory())
        ready = Ready(users, think)
        killer = asyncio.create_task(kill_one(ready)) if kill_after is not None and through_nginx else None
        crowd = await asyncio.gather(*(session(i, samples[i % len(samples)], seconds, ready,
                                               random.Random(i).uniform(0.0, arrival)) for i in range(users)))
        watcher.cancel()
        if killer is not None:
            killer.cancel()
        memory.append((f"after {users} users", rss()))
        loads.append(("end", machine_load()))
        if browser is not None:
            await browser.close()
            await playwright.stop()
    report(users, client, think, replicas, via, alone, crowd, memory, loads, killed, baseline_think)


def median_and_p95(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    tail = statistics.quantiles(values, n=20)[-1] if len(values) > 20 else max(values)
    return statistics.median(values), tail


def seconds_of(responses: list, which: str = "all") -> list[float]:
    """Response times; ``which`` "first" or "repeat" keeps the moves that drew a (book, value) pair
    for the first time on their replica (its caches missed) or again (a cache hit). A browser client
    cannot tell them apart: its moves count as repeats."""
    out = []
    for response in responses:
        seconds, first = response if isinstance(response, tuple) else (response, False)
        if which == "all" or (which == "first") == first:
            out.append(seconds)
    return out


def report(users: int, client: str, think: float, replicas: int, via: str, alone: dict, crowd: list[dict],
           memory: list, loads: list, killed: list, baseline_think: float) -> None:
    single, single_tail = median_and_p95(seconds_of(alone["responses"]))
    pooled = [r for s in crowd for r in s["responses"]]
    many, tail = median_and_p95(seconds_of(pooled))
    print(f"client: {client} via {via}, think time {think:.2f} s between moves, {replicas} replica(s)")
    print(f"one user alone on one replica, a move every {baseline_think:.2f} s: {len(alone['responses'])} slider moves, median {single:.3f} s, p95 {single_tail:.3f} s, "
          f"errors {alone['errors']}, own book {alone['own_book']}")
    print(f"{users} users: {len(pooled)} slider moves, median {many:.3f} s "
          f"({many / single:.2f}x one user), p95 {tail:.3f} s ({tail / single_tail:.2f}x one user's p95)")
    for which, label in (("first", "first drawing of a book at a value on its replica (cache miss)"),
                         ("repeat", "a value the replica had drawn for that book (cache hit)")):
        one, one_tail = median_and_p95(seconds_of(alone["responses"], which))
        crowd_which = seconds_of(pooled, which)
        all_, all_tail = median_and_p95(crowd_which)
        print(f"  {label}: one user median {one:.3f} s, p95 {one_tail:.3f} s ({len(seconds_of(alone['responses'], which))} moves); "
              f"{users} users median {all_:.3f} s ({all_ / one:.2f}x), p95 {all_tail:.3f} s ({len(crowd_which)} moves)")
    print(f"errors across sessions: {sum(s['errors'] for s in crowd)}")
    print(f"sessions showing their own book at the end: {sum(s['own_book'] for s in crowd)}/{users}")
    if via == "nginx":
        spread: dict[str, int] = {}
        for student in crowd:
            if student.get("replicas"):
                spread[student["replicas"][0]] = spread.get(student["replicas"][0], 0) + 1
        sticky = sum(1 for s in crowd if s.get("replicas") and s["page_replica"] == s["replicas"][0])
        print(f"students per replica (port: students): {dict(sorted(spread.items()))}; websocket on the "
              f"replica that served the page: {sticky}/{users}")
    if killed:
        port, pid = killed[0]
        cut = [s for s in crowd if s["outages"]]
        outages = [o for s in cut for o in s["outages"]]
        back = sum(all(s["books_back"]) for s in cut)
        middle, worst = (statistics.median(outages), max(outages)) if outages else (float("nan"),) * 2
        print(f"killed replica on port {port} (pid {pid}): {len(cut)} students reconnected "
              f"(to {sorted({r for s in cut for r in s['replicas'][1:]})}), their book back in {back}/{len(cut)}; "
              f"seconds without a page: median {middle:.1f}, max {worst:.1f}")
    ports = sorted({port for _, reading in memory for port in reading})
    print("replica memory (RSS, MB), per replica port:")
    for port in ports:
        readings = [reading[port] for _, reading in memory if port in reading]
        print(f"  {port}: start {readings[0]:.0f}, peak {max(readings):.0f}, end {readings[-1]:.0f}")
    print("machine: " + "; ".join(f"{label}: {load}" for label, load in loads))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=0.5, help="seconds between one user's slider moves")
    parser.add_argument("--baseline-think", type=float, default=0.5, help="the same for the one user alone")
    parser.add_argument("--client", choices=("websocket", "browser"), default="websocket")
    parser.add_argument("--replicas", type=int, default=1, help="server processes, users spread over them")
    parser.add_argument("--via", choices=("direct", "nginx"), default="direct",
                        help="direct: replicas started here; nginx: scripts/serve_class.sh N (sticky by cookie)")
    parser.add_argument("--arrival", type=float, default=20.0, help="students open the page over this many seconds")
    parser.add_argument("--kill-after", type=float, default=None,
                        help="with --via nginx: SIGKILL the busiest replica this many seconds into the class")
    args = parser.parse_args()
    if args.kill_after is not None and args.via != "nginx":
        parser.error("--kill-after needs --via nginx (students reconnect through nginx to another replica)")
    asyncio.run(run(max(1, min(args.users, 300)), min(args.seconds, 600.0), min(args.baseline_seconds, 120.0),
                    max(0.0, min(args.think, 30.0)), args.client, max(1, min(args.replicas, 8)), args.via,
                    max(0.0, min(args.arrival, 120.0)),
                    None if args.kill_after is None else max(0.0, min(args.kill_after, 600.0)),
                    max(0.0, min(args.baseline_think, 30.0))))
