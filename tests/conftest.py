"""Test configuration: make the project root importable (app, margin, charts, views, lessons, ui, scripts),
have plotly validate every figure the tests build (charts.style.VALIDATE), and the one Debian chromium the browser tests share (tests/browser_support.py: never downloaded, and
a missing browser fails the tests rather than skipping them)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import charts.style  # noqa: E402

# Every figure a test builds is validated by plotly property by property (the app skips it: charts/style.py).
charts.style.VALIDATE = True


@pytest.fixture(scope="module")
def chromium():
    """A headless chromium for the module's browser tests."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM_ARGS, require_chromium

    executable = require_chromium()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()
