"""The dashboard opened in Streamlit's AppTest, as the page tests start from it (the Build page, the default
sample), shared by their ``app`` fixtures."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def opened_app(timeout: float = 60) -> AppTest:
    """app.py after its first run, which raised nothing."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    assert not at.exception
    return at
