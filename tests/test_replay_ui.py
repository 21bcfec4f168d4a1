"""The Replay page: through Streamlit's AppTest (numbers as the engine says, the day slider, play/pause,
the example history) and in a real browser (every sample over every bundled episode in one session, an
uploaded CSV good and bad, play running on its own), with screenshots in artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from margin.history import parse_price_history
from margin.replay import episodes, load_episode, replay
from tests.browser_support import (
    ROOT,
    choose_in_sidebar,
    full_page_screenshot,
    metric_values,
    streamlit_server,
    wait_for_idle,
)
from tests.test_replay import reference
from views import replay as readings
from views import text
from views.samples import EMPTY, load_sample, sample_names

APP = str(ROOT / "app.py")
SHOTS = ROOT / "artifacts" / "screenshots"
EXAMPLE = ROOT / "sample_data" / "example_prices.csv"


def _replay_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/replay.py").run()
    assert not at.exception and not at.error
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _engine(sample: str, episode: str):
    book, market = load_sample(sample)
    item, path = load_episode(episode)
    return book, market, item, path


# -- AppTest -----------------------------------------------------------------------------------------
def test_the_page_opens_on_the_first_episode_with_day_0_as_a_loop_of_the_single_book_functions_says():
    at = _replay_page()
    ws = at.session_state["workspace"]
    item = episodes()[0]
    assert at.selectbox(key="replay_source").value == item.id
    _, path = load_episode(item.id)
    slow = reference(ws.portfolio, ws.market, path, item.start, item.start)
    shown = _metrics(at)
    assert shown["Equity"] == text.money(slow["equity_cross"].iloc[0])
    assert shown["Cross margin maintenance"] == text.money(slow["maintenance_cross"].iloc[0])
    assert shown["Portfolio margin maintenance"] == text.money(slow["maintenance_portfolio"].iloc[0])
    assert shown["BTC price"] == text.price(ws.market.prices["BTC"])


def test_moving_the_day_shows_that_days_numbers_and_reading():
    at = _replay_page()
    ws = at.session_state["workspace"]
    item = episodes()[0]
    _, path = load_episode(item.id)
    day = (item.crash_day - item.start).days
    at.slider(key="replay_day").set_value(day).run()
    assert not at.exception
    slow = reference(ws.portfolio, ws.market, path, item.start, item.crash_day)
    shown = _metrics(at)
    assert shown["Portfolio margin maintenance"] == text.money(slow["maintenance_portfolio"].iloc[-1])
    assert shown["Cross margin maintenance"] == text.money(slow["maintenance_cross"].iloc[-1])
    frame = replay(ws.portfolio, path, ws.market, ws.cross_preset, ws.portfolio_rules, start=item.start, end=item.end)
    assert any(md.value == readings.day_reading(frame, day) for md in at.markdown)
    assert any(md.value == f"**{readings.outcome(frame)}**" for md in at.markdown)


def test_play_starts_and_pause_stops_and_a_new_path_starts_at_day_0():
    at = _replay_page()
    at.button(key="replay_play").click().run()
    assert at.session_state["replay_playing"] is True
    assert at.session_state["replay_day"] >= 1  # the first step is taken at once
    at.button(key="replay_play").click().run()
    assert at.session_state["replay_playing"] is False
    at.selectbox(key="replay_source").set_value(episodes()[2].id).run()
    assert at.session_state["replay_day"] == 0 and not at.exception and not at.error


def test_the_example_history_replays_the_days_chosen():
    at = _replay_page()
    at.selectbox(key="replay_source").set_value("example").run()
    assert not at.exception and not at.error
    start, end = at.select_slider(key="replay_window").value
    ws = at.session_state["workspace"]
    frame = replay(ws.portfolio, parse_price_history(EXAMPLE), ws.market, ws.cross_preset, ws.portfolio_rules,
                   start=start, end=end)
    assert at.slider(key="replay_day").max == len(frame) - 1
    assert _metrics(at)["Portfolio margin maintenance"] == text.money(frame["maintenance_portfolio"].iloc[0])


def test_a_book_with_a_coin_no_episode_holds_says_how_it_moved():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="sidebar_sample").set_value("09_cross_contagion.json").run()
    at.switch_page("pages/replay.py").run()
    assert not at.exception and not at.error
    assert any("HYPE" in c.value and "correlation-implied beta" in c.value for c in at.caption)


# -- the real browser --------------------------------------------------------------------------------
pytest_browser = pytest.mark.browser


def _outcome_on_page(tab) -> str:
    return tab.locator('[data-testid="stMain"] strong').filter(has_text=re.compile(r"liquidat")).first.inner_text()


@pytest_browser
def test_every_sample_replays_over_every_episode_in_the_browser(chromium):
    """One session: each sample from the sidebar, each bundled episode from the picker; the page shows no
    exception or error, draws the chart, gives day 0's numbers as the single-book functions do and the
    engine's outcome; then a CSV upload (refused, then accepted), and Play stepping the days on its own."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    checked = 0
    with streamlit_server("app.py") as server:
        context = chromium.new_context(viewport={"width": 1440, "height": 900})
        tab = context.new_page()
        tab.goto(f"{server}/replay", wait_until="domcontentloaded")
        wait_for_idle(tab)
        labels = {item.id: item.title for item in episodes()}
        for sample in [*sample_names(), EMPTY]:
            choose_in_sidebar(tab, "sidebar_sample", "Empty book" if sample == EMPTY else f"{sample[:2]} ·")
            book, market = load_sample(sample)
            for item in episodes():
                picker = tab.locator('.st-key-replay_source input[role="combobox"]')
                picker.click()
                tab.locator('[role="option"]').filter(has_text=labels[item.id]).first.click()
                wait_for_idle(tab)
                assert tab.locator('[data-testid="stException"]').count() == 0, (sample, item.id)
                assert tab.locator('[data-testid="stAlertContentError"]').count() == 0, (sample, item.id)
                assert tab.locator(".js-plotly-plot .main-svg").count() > 0, (sample, item.id)
                _, path = load_episode(item.id)
                slow = reference(book, market, path, item.start, item.start)
                shown = metric_values(tab)
                assert shown["Equity"] == text.money(slow["equity_cross"].iloc[0]), (sample, item.id)
                assert shown["Portfolio margin maintenance"].startswith(
                    text.money(slow["maintenance_portfolio"].iloc[0])), (sample, item.id)
                frame = replay(book, path, market, start=item.start, end=item.end)
                assert _outcome_on_page(tab) == readings.outcome(frame), (sample, item.id)
                checked += 1
            full_page_screenshot(tab, SHOTS / f"replay-{sample[:2]}.png")
        assert checked == (len(sample_names()) + 1) * len(episodes())

        # an uploaded CSV: a bad one is named, a good one replays
        choose_in_sidebar(tab, "sidebar_sample", "03 ·")
        tab.locator('.st-key-replay_source input[role="combobox"]').click()
        tab.locator('[role="option"]').filter(has_text="Upload a CSV").first.click()
        wait_for_idle(tab)
        upload = tab.locator('.st-key-replay_upload input[type="file"]')
        upload.set_input_files({"name": "bad.csv", "mimeType": "text/csv", "buffer": b"date,BTC\n2025-01-01,90000\n2025-01-02,abc\n2025-01-03,91000\n"})
        wait_for_idle(tab)
        assert "line 3" in tab.locator('[data-testid="stAlertContentError"]').first.inner_text()
        upload.set_input_files(str(EXAMPLE))
        wait_for_idle(tab)
        assert tab.locator('[data-testid="stAlertContentError"]').count() == 0
        assert tab.locator(".js-plotly-plot .main-svg").count() > 0

        # Play steps the days on its own and stops on the last one
        tab.locator('.st-key-replay_source input[role="combobox"]').click()
        tab.locator('[role="option"]').filter(has_text=labels["aug-2024"]).first.click()
        wait_for_idle(tab)
        title = tab.locator(".js-plotly-plot .gtitle").first
        assert title.text_content().startswith("Day 0")
        tab.locator(".st-key-replay_play button").first.click()
        tab.wait_for_function("() => { const t = document.querySelector('.js-plotly-plot .gtitle'); "
                              "const m = t && /^Day (\\d+)/.exec(t.textContent); return m && Number(m[1]) >= 3; }",
                              timeout=30_000)
        tab.locator(".st-key-replay_play button").first.click()  # pause
        wait_for_idle(tab)
        paused = title.text_content()
        tab.wait_for_timeout(2500)
        assert title.text_content() == paused
        handle = tab.locator('.st-key-replay_day input[type="range"]').first
        handle.focus()
        handle.press("End")
        wait_for_idle(tab)
        last = (load_episode("aug-2024")[0].end - load_episode("aug-2024")[0].start).days
        assert title.text_content().startswith(f"Day {last}")
        full_page_screenshot(tab, SHOTS / "replay-played.png")
        context.close()
