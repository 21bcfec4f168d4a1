"""The app builds its figures without plotly's property-by-property validation (charts.style.VALIDATE, off
outside the tests): the spec each page draws must be the same as the validated one, on every chart page,
on a book with options (payoff, smile), and in presenter mode (fonts scaled: a dict the unvalidated figure
shares between its axes was once scaled four times over)."""

from __future__ import annotations

import json
from pathlib import Path

import plotly.io as pio
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import charts.style
from margin.io import encode_share_token
from tests.figures import drawn_charts
from views.samples import load_sample

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("pages/build.py", "pages/compare.py", "pages/liquidation.py", "pages/shocks.py", "pages/replay.py")


def _drawn(page: str, sample: str, validate: bool, monkeypatch, presenter: bool = False) -> dict[str, dict]:
    monkeypatch.setattr(charts.style, "VALIDATE", validate)
    st.cache_data.clear()  # the figures are cached by the pages' inputs: build them again
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["book"] = encode_share_token(load_sample(sample)[0])
    at.switch_page(page).run()
    if presenter:
        at.toggle(key="sidebar_presenter").set_value(True).run()
    assert not at.exception
    # Through JSON, as the browser gets them (a tuple and a list are the same array there).
    return {chart.key: json.loads(pio.to_json(chart.spec, validate=False)) for chart in drawn_charts(at)}


@pytest.mark.parametrize("sample", ["03_btc_eth_pair.json", "05_short_strangle.json"])
@pytest.mark.parametrize("page", PAGES)
def test_a_page_draws_the_same_spec_with_and_without_validation(page, sample, monkeypatch):
    validated = _drawn(page, sample, True, monkeypatch)
    assert validated, f"{page} drew no chart"
    assert _drawn(page, sample, False, monkeypatch) == validated


@pytest.mark.parametrize("page", PAGES)
def test_in_presenter_mode_too(page, monkeypatch):
    validated = _drawn(page, "05_short_strangle.json", True, monkeypatch, presenter=True)
    assert _drawn(page, "05_short_strangle.json", False, monkeypatch, presenter=True) == validated


def test_the_suite_validates_and_the_app_does_not():
    assert charts.style.VALIDATE is True  # tests/conftest.py
    assert "\nVALIDATE = False\n" in (ROOT / "charts" / "style.py").read_text()
