"""The Replay page's Streamlit layer: the cached replay, the price path picker (a bundled episode, the
example history or an uploaded CSV), the day scrubber with play/pause, the chart and the readings.

The engine call is :func:`margin.replay.replay`, cached here on the book, market, rule sets and the
path's identity (an episode's id, or the bytes of a history file) by :func:`ui.engine_cache.cache`.
Play/pause: a fragment that reruns itself every :data:`PLAY_SECONDS` while playing (``run_every``),
moving the scrubber one day at a time and stopping on the last day; paused, it reruns only when a
widget moves. Every message comes from :mod:`views.replay`, generated from the numbers.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from charts import replay as replay_chart
from margin import Market, Portfolio, PortfolioParams
from margin.history import parse_price_history
from margin.replay import episode_source, episodes, load_episode, replay
from ui import engine_cache, page, state
from views import history, text
from views import replay as readings

EXAMPLE = "example"
UPLOAD = "upload"
SOURCE_KEY = "replay_source"
UPLOAD_KEY = "replay_upload"
WINDOW_KEY = "replay_window"
DAY_KEY = "replay_day"
PLAYING_KEY = "replay_playing"
#: Seconds between two days while playing.
PLAY_SECONDS = 0.8
#: Days of an example or uploaded history kept back to warm up the EWMA volatility before day 0.
WARM_UP = 30


@engine_cache.cache_rules("portfolio_rules")
def episode_frame(book: Portfolio, market: Market, cross_preset: str, portfolio_rules: PortfolioParams,
                  episode_id: str) -> pd.DataFrame:
    """The replay of a bundled episode over its replayed days (cached)."""
    item, path = load_episode(episode_id)
    return replay(book, path, market, cross_preset, portfolio_rules, start=item.start, end=item.end)


@engine_cache.cache_rules("portfolio_rules")
def history_frame(book: Portfolio, market: Market, cross_preset: str, portfolio_rules: PortfolioParams,
                  data: bytes, start: str, end: str) -> pd.DataFrame:
    """The replay over a history file's bytes from ``start`` to ``end`` (ISO dates; cached)."""
    return replay(book, parse_price_history(bytes(data)), market, cross_preset, portfolio_rules, start=start, end=end)


def _labels() -> dict[str, str]:
    return {**{item.id: item.title for item in episodes()},
            EXAMPLE: "Example history (synthetic, 2025)", UPLOAD: "Upload a CSV of daily closes"}


def _history_bytes(kind: str) -> tuple[bytes | None, str]:
    """(the history's bytes, its name) for the example or an upload (None: nothing uploaded yet)."""
    if kind == EXAMPLE:
        return history.EXAMPLE_PATH.read_bytes(), history.EXAMPLE_PATH.name
    uploaded = st.file_uploader("Daily closes (CSV)", type=["csv"], key=UPLOAD_KEY,
                                help="Wide (date,BTC,ETH) or long (date,asset,close), one close a day, as on the "
                                     "Build page's price-history panel. Columns are matched to the book's assets.")
    if uploaded is None:
        return None, ""
    return uploaded.getvalue(), uploaded.name


def _window(closes: pd.DataFrame) -> tuple[str, str] | None:
    """The replayed days of a history (a range slider over its dates after the warm-up)."""
    dates = [d.strftime("%Y-%m-%d") for d in closes.index]
    first = min(WARM_UP, len(dates) - 1) if len(dates) > WARM_UP + 2 else 2
    if len(dates) <= first:
        st.error(f"The history holds {len(dates)} closes; the replay needs at least 3 (two returns warm up the "
                 "volatility). Add more days of history.")
        return None
    choices = dates[first:]
    if len(choices) == 1:
        return choices[0], choices[0]
    value = st.session_state.get(WINDOW_KEY)
    if not (isinstance(value, tuple) and len(value) == 2 and all(v in choices for v in value)):
        st.session_state[WINDOW_KEY] = (choices[0], choices[-1])
    start, end = st.select_slider("Days to replay", options=choices, key=WINDOW_KEY,
                                  help=f"The closes before the first day ({first} at least) only warm up the EWMA "
                                       "volatility; day 0 starts from today's prices.")
    return start, end


def frame_for(source: str) -> tuple[pd.DataFrame | None, str]:
    """The replay of the workspace's book over ``source`` (an episode id, EXAMPLE or UPLOAD), and a caption
    saying where its closes come from; (None, "") when there is nothing to replay yet or on an error (shown)."""
    ws = state.get()
    if source not in (EXAMPLE, UPLOAD):
        item = next(e for e in episodes() if e.id == source)
        frame = page.safe(episode_frame, ws.portfolio, ws.market, ws.cross_preset, ws.portfolio_rules, source)
        origin = episode_source()
        caption = (f"{item.what} Closes: {origin['original']}, from {origin['repository']} (commit "
                   f"{origin['commit'][:7]}); see sample_data/episodes/README.md.")
        return frame, caption
    data, name = _history_bytes(source)
    if data is None:
        st.info("Upload a CSV of daily closes (a column per asset, named as in the book) to replay the book over it.")
        return None, ""
    closes, error = engine_cache.history_read(data)
    if closes is None:
        st.error(error)
        return None, ""
    window = _window(closes)
    if window is None:
        return None, ""
    frame = page.safe(history_frame, ws.portfolio, ws.market, ws.cross_preset, ws.portfolio_rules, data, *window)
    return frame, f"Closes: {name}."


def _toggle(last: int) -> None:
    """Play or Pause; Play on the last day starts again from day 0."""
    playing = not st.session_state.get(PLAYING_KEY, False)
    st.session_state[PLAYING_KEY] = playing
    if playing and st.session_state.get(DAY_KEY, 0) >= last:
        st.session_state[DAY_KEY] = 0


def _metrics(frame: pd.DataFrame, i: int, lead: str | None) -> None:
    row = frame.iloc[i]
    columns = st.columns(4 if lead else 3)
    columns[0].metric("Equity", text.money(float(row["equity_cross"])), border=True)
    for column, mode in zip(columns[1:3], readings.MODES, strict=True):
        maintenance, equity = float(row[f"maintenance_{mode}"]), float(row[f"equity_{mode}"])
        spare = equity - maintenance
        column.metric(f"{readings.MODE_WORDS[mode].capitalize()} maintenance", text.money(maintenance),
                      delta=f"{text.signed_money(spare)} {'to spare' if spare >= 0 else 'short'}", delta_color="normal",
                      border=True)
    if lead:
        first = float(frame[f"price_{lead}"].iloc[0])
        now = float(row[f"price_{lead}"])
        columns[3].metric(f"{lead} price", text.price(now),
                          delta=f"{(now / first - 1) * 100:+.1f} % since day 0" if i else None,
                          delta_color="off", border=True)


def scrubber(frame: pd.DataFrame) -> None:
    """The day slider, play/pause, the chart, the day's numbers and reading (a fragment that replays itself)."""
    last = len(frame) - 1
    playing = bool(st.session_state.get(PLAYING_KEY, False))

    @st.fragment(run_every=PLAY_SECONDS if playing else None)
    def panel() -> None:
        if bool(st.session_state.get(PLAYING_KEY, False)) != playing:
            st.rerun()  # Play or Pause was pressed: the whole page, so the fragment's run_every follows
        day = st.session_state.get(DAY_KEY, 0)
        day = int(min(max(day if isinstance(day, int) else 0, 0), last))
        if playing and last > 0:
            if day >= last:
                st.session_state[PLAYING_KEY] = False
                st.rerun()  # the whole page: the fragment stops replaying itself
            day += 1
        st.session_state[DAY_KEY] = day
        left, right = st.columns([1, 5], vertical_alignment="bottom")
        left.button("Pause" if st.session_state.get(PLAYING_KEY) else "Play", key="replay_play", on_click=_toggle, args=(last,),
                    icon=":material/pause:" if st.session_state.get(PLAYING_KEY) else ":material/play_arrow:",
                    use_container_width=True, disabled=last == 0,
                    help="Step through the days on their own, one every second or so; Pause to stop.")
        if last > 0:
            right.slider("Day", min_value=0, max_value=last, key=DAY_KEY,
                         help="Drag to any day of the replay: the chart draws the days up to it.")
        i = int(st.session_state[DAY_KEY])
        lead = readings.lead_asset(frame)
        page.chart(replay_chart.replay_chart(frame, i, lead), key="replay_chart")
        _metrics(frame, i, lead)
        st.markdown(readings.day_reading(frame, i))

    panel()


def draw() -> None:
    """The whole panel under the page title."""
    labels = _labels()
    if st.session_state.get(SOURCE_KEY) not in labels:
        st.session_state[SOURCE_KEY] = next(iter(labels))
    source = st.selectbox("Price path", list(labels), format_func=labels.get, key=SOURCE_KEY,
                          on_change=lambda: st.session_state.update({DAY_KEY: 0, PLAYING_KEY: False}),
                          help="A bundled crash (real daily closes), the example history, or your own CSV.")
    frame, caption = frame_for(source)
    if frame is None:
        return
    if caption:
        st.caption(caption)
    st.markdown(f"**{readings.outcome(frame)}**")
    scrubber(frame)
    reading = readings.range_reading(frame)
    if reading:
        st.caption(reading)
    st.caption(" ".join(filter(None, (readings.day0_note(frame, dict(state.get().market.vols)),
                                      readings.assumptions(frame)))))
    with st.expander("Every day in words"):
        st.markdown("\n".join(f"- {readings.day_reading(frame, i)}" for i in range(len(frame))))
