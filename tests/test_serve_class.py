"""Serving a class through real nginx: `scripts/serve_class.sh 2` (nginx in front of two Streamlit
replicas, sticky by cookie) and `scripts/stop_class.sh`.

Checks that the first request (no cookie yet) and the websocket that follows reach the same replica for
many clients behind one address (a school's NAT), that the clients spread over both replicas, that two
browser sessions on different replicas each keep their own book across a reload, and that a student
whose replica is killed gets a page with the book back from another replica.

nginx comes from Debian's package (`apt-get install -y nginx`, scripts/test.sh does it) and chromium
likewise; without either these tests fail, they never skip. `class_stack` is also what
benchmarks/load.py uses to drive the stack.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser_support import ROOT, SLIDER, sidebar_select, wait_for_idle

pytestmark = [pytest.mark.serving, pytest.mark.browser]

ROUTE_COOKIE = "margin_lab_route"
REPLICA_HEADER = "X-Margin-Lab-Replica"
ACCESS_LINE = re.compile(r'route=(?P<route>\S+) upstream=(?P<upstream>\S*) status=(?P<status>\d+) '
                         r'request="(?P<method>\S+) (?P<path>\S+)')


def require_nginx() -> str:
    """nginx's path, or an AssertionError that says how to install it (never a skip)."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise AssertionError("nginx not found. Install Debian's package: apt-get install -y nginx "
                             "(scripts/test.sh does this). The serving tests fail rather than skip without it.")
    return found


def free_port_run(count: int, tries: int = 50) -> int:
    """A port p such that p .. p + count - 1 are all free on 127.0.0.1."""
    generator = random.Random()
    for _ in range(tries):
        base = generator.randrange(20000, 60000 - count)
        with contextlib.ExitStack() as sockets:
            try:
                for port in range(base, base + count):
                    sockets.enter_context(socket.socket()).bind(("127.0.0.1", port))
            except OSError:
                continue
        return base
    raise RuntimeError(f"no run of {count} free ports found in {tries} tries")


@dataclass
class ClassStack:
    """A running `scripts/serve_class.sh N`: the URL students open and where its files are."""

    url: str
    run_dir: Path
    replicas: int
    port: int

    def replica_ports(self) -> list[int]:
        return [self.port + index for index in range(1, self.replicas + 1)]

    def replica_pid(self, index: int) -> int:
        """The current process id of replica ``index`` (1-based); its supervisor rewrites it on a restart."""
        return int((self.run_dir / f"replica-{index}.pid").read_text())

    def access_log(self) -> list[dict[str, str]]:
        """nginx's access log, one dict per request (route, upstream, status, method, path)."""
        path = self.run_dir / "logs" / "nginx-access.log"
        lines = path.read_text().splitlines() if path.exists() else []
        return [match.groupdict() for line in lines if (match := ACCESS_LINE.search(line))]


@contextlib.contextmanager
def class_stack(replicas: int, run_dir: Path | None = None) -> Iterator[ClassStack]:
    """Start `scripts/serve_class.sh replicas` on free loopback ports; stop it with stop_class.sh after."""
    require_nginx()
    port = free_port_run(replicas + 1)
    own_run_dir = run_dir is None
    run_dir = run_dir or ROOT / "artifacts" / f"class-{port}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    environment = {**os.environ, "MARGIN_LAB_PORT": str(port), "MARGIN_LAB_LISTEN": "127.0.0.1",
                   "MARGIN_LAB_RUN_DIR": str(run_dir)}
    try:
        started = subprocess.run(["bash", str(ROOT / "scripts" / "serve_class.sh"), str(replicas)], env=environment,
                                 capture_output=True, text=True, timeout=300)
        assert started.returncode == 0, f"serve_class.sh failed:\n{started.stdout}\n{started.stderr}"
        yield ClassStack(f"http://127.0.0.1:{port}", run_dir, replicas, port)
    finally:
        stopped = subprocess.run(["bash", str(ROOT / "scripts" / "stop_class.sh")], env=environment,
                                 capture_output=True, timeout=60)
        if own_run_dir and stopped.returncode == 0 and os.environ.get("MARGIN_LAB_KEEP_RUN_DIR") != "1":
            shutil.rmtree(run_dir, ignore_errors=True)  # MARGIN_LAB_KEEP_RUN_DIR=1 keeps logs to read


def first_visit(url: str, cookie: str | None = None) -> tuple[str | None, str]:
    """GET ``url`` as a browser's first visit: (the route cookie issued, or None; the replica's port)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        issued = answer.headers.get("Set-Cookie")
        route = issued.split(";")[0] if issued and issued.startswith(ROUTE_COOKIE + "=") else None
        return route, answer.headers[REPLICA_HEADER]


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stack():
    with class_stack(2) as running:
        yield running


def _book(name: str):
    from margin import load_portfolio
    from margin.io import encode_share_token

    book = load_portfolio(ROOT / "sample_portfolios" / name)
    return book.title, encode_share_token(book)


def _summary(tab) -> str:
    """The sidebar's text blocks: its summary (the book's title in it) and its captions."""
    return " ".join(tab.locator('[data-testid="stSidebar"] [data-testid="stMarkdownContainer"]').all_inner_texts())


def _open(chromium, url: str):
    """A fresh browser (no cookies) on ``url``: (context, tab, the replica that served the page)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    response = tab.goto(url, wait_until="domcontentloaded")
    wait_for_idle(tab)
    return context, tab, response.headers[REPLICA_HEADER.lower()]


class Sockets:
    """The Streamlit websockets a tab opens, and when each brought its first finished script run
    (ForwardMsg.script_finished, read from the frames as the page receives them)."""

    def __init__(self, tab) -> None:
        self.opened: list[float] = []
        self.finished: dict[int, float] = {}
        tab.on("websocket", self._watch)

    def _watch(self, socket) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if "_stcore/stream" not in socket.url:
            return
        self.opened.append(time.monotonic())
        number = len(self.opened)

        def received(payload) -> None:
            if number in self.finished or not isinstance(payload, bytes | bytearray):
                return
            message = ForwardMsg()
            message.ParseFromString(bytes(payload))
            if (message.WhichOneof("type") == "script_finished"
                    and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY):
                self.finished[number] = time.monotonic()

        socket.on("framereceived", received)

    def wait_for(self, tab, count: int, seconds: float = 60) -> float:
        """Wait until the tab has opened ``count`` websockets; when the last one opened."""
        deadline = time.monotonic() + seconds
        while len(self.opened) < count and time.monotonic() < deadline:
            tab.wait_for_timeout(50)
        assert len(self.opened) >= count, f"the page opened no websocket number {count} within {seconds:.0f} s"
        return self.opened[count - 1]


def _route_of(context) -> str:
    cookies = {cookie["name"]: cookie["value"] for cookie in context.cookies()}
    assert ROUTE_COOKIE in cookies, f"nginx issued no {ROUTE_COOKIE} cookie: {cookies}"
    return cookies[ROUTE_COOKIE]


# -- tests -----------------------------------------------------------------------------------------
def test_the_page_and_its_websocket_reach_the_same_replica_for_clients_behind_one_address(stack):
    """Twenty clients from 127.0.0.1 (one NAT address): each first request gets a cookie, the websocket
    that carries it reaches the replica that served the page, and the clients use both replicas."""
    import asyncio

    import websockets

    async def one_client() -> tuple[str, str]:
        route, page_replica = first_visit(f"{stack.url}/liquidation")
        assert route is not None, "the first response must issue the route cookie"
        async with websockets.connect(stack.url.replace("http://", "ws://") + "/_stcore/stream",
                                      subprotocols=["streamlit"], additional_headers={"Cookie": route},
                                      open_timeout=30) as connection:
            socket_replica = connection.response.headers[REPLICA_HEADER]
            assert not connection.response.headers.get_all("Set-Cookie") or all(
                not value.startswith(ROUTE_COOKIE) for value in connection.response.headers.get_all("Set-Cookie")), \
                "a client that has a route must not be given another"
        return page_replica, socket_replica

    async def twenty():
        return [await one_client() for _ in range(20)]

    pairs = asyncio.run(twenty())
    assert all(page == websocket for page, websocket in pairs), pairs
    used = {page for page, _ in pairs}
    # Both replicas: with a fair hash the chance that 20 clients all land on one is 2 x 2^-20.
    assert used == {str(port) for port in stack.replica_ports()}, used
    # and the access log agrees: every route reached one upstream only
    upstreams: dict[str, set[str]] = {}
    for entry in stack.access_log():
        upstreams.setdefault(entry["route"], set()).add(entry["upstream"])
    assert all(len(seen) == 1 for seen in upstreams.values()), {r: u for r, u in upstreams.items() if len(u) > 1}


def test_two_browser_sessions_on_different_replicas_keep_their_own_book_across_a_reload(stack, chromium):
    first_title, first_token = _book("05_short_strangle.json")
    second_title, second_token = _book("02_basis_trade.json")
    first, first_tab, first_replica = _open(chromium, f"{stack.url}/compare?book={first_token}")
    # a second browser until it lands on the other replica (each try is a coin flip: 8 misses is 1/256)
    for _ in range(8):
        second, second_tab, second_replica = _open(chromium, f"{stack.url}/compare?book={second_token}")
        if second_replica != first_replica:
            break
        second.close()
    assert second_replica != first_replica, "eight fresh browsers all landed on the first one's replica"
    try:
        assert first_title in _summary(first_tab) and second_title not in _summary(first_tab)
        assert second_title in _summary(second_tab) and first_title not in _summary(second_tab)
        # The first student changes the book in the session: the address bar follows (ui.state.sync_link).
        sidebar_select(first_tab, "sidebar_sample").click()
        first_tab.locator('[role="option"]').filter(has_text="07 ·").first.click()
        wait_for_idle(first_tab)
        changed_title = _summary(first_tab)
        assert "Diversified long alts" in changed_title, changed_title
        for tab, replica, expected, other in ((first_tab, first_replica, "Diversified long alts", second_title),
                                              (second_tab, second_replica, second_title, first_title)):
            response = tab.reload(wait_until="domcontentloaded")
            wait_for_idle(tab)
            assert response.headers[REPLICA_HEADER.lower()] == replica, "a reload must stay on the student's replica"
            assert expected in _summary(tab) and other not in _summary(tab), _summary(tab)
            assert tab.locator('[data-testid="stException"]').count() == 0
        tab.wait_for_timeout(500)  # nginx logs a websocket when it closes: the reloads closed the first ones
        routes = {_route_of(first): f"127.0.0.1:{first_replica}", _route_of(second): f"127.0.0.1:{second_replica}"}
        log = stack.access_log()
        for route, upstream in routes.items():
            mine = [entry for entry in log if entry["route"] == route]
            assert any(entry["path"] == "/_stcore/stream" for entry in mine), "no websocket logged for the session"
            assert {entry["upstream"] for entry in mine} == {upstream}, mine
    finally:
        first.close()
        second.close()


def _kill_the_replica_under(stack, tab_url: str, chromium, book: str):
    """Open ``book`` on the Liquidation page in a fresh browser, then SIGKILL the replica serving it.
    Returns (context, tab, sockets, killed replica's port, its index, its pid, kill time, the route)."""
    title, token = _book(book)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    sockets = Sockets(tab)
    response = tab.goto(f"{stack.url}/liquidation?book={token}", wait_until="domcontentloaded")
    wait_for_idle(tab)
    replica = response.headers[REPLICA_HEADER.lower()]
    assert title in _summary(tab) and len(sockets.opened) == 1
    index = stack.replica_ports().index(int(replica)) + 1
    pid = stack.replica_pid(index)
    os.kill(pid, signal.SIGKILL)
    return context, tab, sockets, replica, index, pid, time.monotonic(), _route_of(context)


def _wait_for_restart(stack, index: int, replica: str, killed_pid: int) -> None:
    """The supervisor brings a killed replica back under a new process id."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            if stack.replica_pid(index) != killed_pid:
                with urllib.request.urlopen(f"http://127.0.0.1:{replica}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
        time.sleep(0.5)
    raise AssertionError(f"replica {index} was not restarted within 120 s")


def _liquidation_readings(tab) -> list[str]:
    """The Liquidation page's metric cards (a liquidation price and its distance per mode)."""
    return tab.locator('[data-testid="stMain"] [data-testid="stMetric"]').all_inner_texts()


def _move_the_slider(tab) -> None:
    slider = tab.locator(SLIDER).first
    slider.focus()
    slider.press("ArrowRight")


def test_a_student_whose_replica_is_killed_reconnects_to_another_and_a_reload_brings_the_book_back(stack, chromium):
    """The page notices the closed websocket, pings the server through nginx (which skips the dead
    replica) and opens a new websocket on the other replica within seconds; the page stays on screen
    meanwhile. A reload opens the link in the address bar, whose ?book= restores the book."""
    title, _ = _book("05_short_strangle.json")
    context, tab, sockets, replica, index, pid, killed_at, route = _kill_the_replica_under(
        stack, stack.url, chromium, "05_short_strangle.json")
    try:
        reconnected = sockets.wait_for(tab, 2) - killed_at
        tab.reload(wait_until="domcontentloaded")
        sockets.wait_for(tab, 3)
        wait_for_idle(tab)
        assert title in _summary(tab), _summary(tab)
        assert tab.locator('[data-testid="stException"]').count() == 0
        assert 3 in sockets.finished, "the reloaded page finished no run"
        book_back = sockets.finished[3] - killed_at
        before = _liquidation_readings(tab)
        _move_the_slider(tab)
        wait_for_idle(tab)
        assert _liquidation_readings(tab) != before, "the slider moved nothing on the reloaded page"
        print(f"killed replica {replica}: page reconnected after {reconnected:.1f} s; "
              f"a reload had the book back after {book_back:.1f} s")
        assert reconnected < 10
    finally:
        context.close()
    time.sleep(0.5)  # nginx logs each websocket when it closes
    streams = [entry["upstream"] for entry in stack.access_log()
               if entry["route"] == route and entry["path"] == "/_stcore/stream"]
    assert streams[0] == f"127.0.0.1:{replica}" and len(streams) == 3, streams
    assert streams[1].split(", ")[-1] != f"127.0.0.1:{replica}", f"the page reconnected to the killed replica: {streams}"
    _wait_for_restart(stack, index, replica, pid)


def test_after_a_failover_the_page_is_live_again_without_a_reload(stack, chromium):
    title, _ = _book("05_short_strangle.json")
    context, tab, sockets, replica, index, pid, killed_at, _ = _kill_the_replica_under(
        stack, stack.url, chromium, "05_short_strangle.json")
    try:
        sockets.wait_for(tab, 2)
        tab.wait_for_timeout(1500)
        _move_the_slider(tab)
        deadline = time.monotonic() + 30
        while 2 not in sockets.finished and time.monotonic() < deadline:
            tab.wait_for_timeout(100)
        assert 2 in sockets.finished, "no run finished on the new replica after the student moved the slider"
        wait_for_idle(tab)
        assert title in _summary(tab)
    finally:
        context.close()
        _wait_for_restart(stack, index, replica, pid)


def test_stop_class_stops_every_process_it_started(tmp_path):
    with class_stack(1, run_dir=tmp_path / "run") as running:
        pids = [int(path.read_text()) for path in running.run_dir.glob("*.pid")]
        assert len(pids) == 3, "nginx, one supervisor and one replica"
    time.sleep(0.5)
    alive = [pid for pid in pids if Path(f"/proc/{pid}").exists()
             and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]
    assert not alive, f"still running after stop_class.sh: {alive}"


def test_serve_class_refuses_a_bad_replica_count_and_an_app_that_fails_leaving_nothing_running(tmp_path):
    require_nginx()
    script = str(ROOT / "scripts" / "serve_class.sh")
    refused = subprocess.run(["bash", script, "0"], capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "N must be a whole number of replicas from 1 to 16" in refused.stderr
    broken = tmp_path / "broken_app.py"
    broken.write_text("import streamlit as st\nraise RuntimeError('broken on purpose')\n")
    port = free_port_run(2)
    run_dir = tmp_path / "run"
    environment = {**os.environ, "MARGIN_LAB_PORT": str(port), "MARGIN_LAB_LISTEN": "127.0.0.1",
                   "MARGIN_LAB_RUN_DIR": str(run_dir), "MARGIN_LAB_APP": str(broken)}
    started = subprocess.run(["bash", script, "1"], env=environment, capture_output=True, text=True, timeout=300)
    assert started.returncode != 0
    assert "could not run" in started.stderr and "script health check failed" in started.stderr, started.stderr
    assert not list(run_dir.glob("*.pid")), "a failed start must stop what it started"
    time.sleep(0.5)
    for port_in_use in (port, port + 1):  # nothing left listening
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port_in_use), timeout=2).close()
