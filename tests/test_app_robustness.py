"""The app under bad state: a sample deleted at run time, tampered query strings, an unknown asset.
Each shows an st.error with the fix, and the user's current book is never replaced or lost."""

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import views.samples
from ui.sidebar import SAMPLE_KEY

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error) + " ".join(e.value for e in at.sidebar.error)


def test_a_sample_deleted_at_run_time_shows_an_error_and_keeps_the_book(tmp_path, monkeypatch):
    samples = tmp_path / "samples"
    shutil.copytree(ROOT / "sample_portfolios", samples)
    monkeypatch.setattr(views.samples, "SAMPLES_DIR", samples)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    before = at.session_state["workspace"].portfolio
    (samples / "05_short_strangle.json").unlink()
    at.sidebar.selectbox(key=SAMPLE_KEY).set_value("05_short_strangle.json").run()
    assert not at.exception
    assert "05_short_strangle.json" in _errors(at)
    assert at.session_state["workspace"].portfolio == before


@pytest.mark.parametrize("query", [
    {"book": "%%%"}, {"book": "A" * 50_000}, {"book": ""}, {"lesson": "no-such-lesson"},
    {"lesson": "hedge", "step": "-7"}, {"term": "<script>alert(1)</script>"},
])
def test_tampered_query_strings_never_raise(query):
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert at.session_state["workspace"].portfolio.positions  # a usable book is always there


def test_a_book_on_an_asset_the_market_lacks_is_explained_not_crashed():
    from margin import Perp, Portfolio
    from margin.io import encode_share_token

    token = encode_share_token(Portfolio([Perp("NOTACOIN", 1.0, 10.0)], {"USDC": 100.0}))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["book"] = token
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert "NOTACOIN" in _errors(at)
