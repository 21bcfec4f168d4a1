"""The sample books: the one place they are loaded from ``sample_portfolios/``.

A sample's market is the default market with the file's overrides; the default market is built
once (it is immutable, so one copy serves every session). ``"empty"`` is a book of its own: no
positions, 10,000 USDC. Nothing here is cached per file, so a file changed or deleted while the app
runs is read as it is now. Pure; no streamlit.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

from margin import Market, Portfolio, default_market
from margin.io import apply_market_overrides, load_document

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "sample_portfolios"
DEFAULT_SAMPLE = "03_btc_eth_pair.json"
EMPTY = "empty"
EMPTY_COLLATERAL = {"USDC": 10_000.0}


@lru_cache(maxsize=1)
def base_market() -> Market:
    """The default 15-coin market."""
    return default_market()


def sample_names() -> list[str]:
    """File names of the sample portfolios, in order."""
    return sorted(path.name for path in SAMPLES_DIR.glob("*.json"))


def load_sample(name: str) -> tuple[Portfolio, Market]:
    """The sample's book and market (the default market with the file's overrides); PortfolioError or
    OSError when the file is bad or gone."""
    if name == EMPTY:
        return Portfolio((), EMPTY_COLLATERAL, "Empty book", "No positions yet: type one into the table's empty row."), base_market()
    document = load_document(SAMPLES_DIR / name)
    return document.portfolio, apply_market_overrides(base_market(), document.market_overrides)


#: What a book's title and story say once the user has changed its positions or collateral: a sample's title
#: and story describe the book as loaded ("Long 1 BTC perp ... at 10x"), not the one on screen.
CHANGED_SUFFIX = " (changed)"
AS_LOADED = "As loaded, before your changes: "


def edited(book: Portfolio) -> Portfolio:
    """``book`` marked as changed by the user: its title ends with :data:`CHANGED_SUFFIX` and its story starts
    with :data:`AS_LOADED` (once: a book already marked is returned as it is). The mark travels with the book
    (files, share links), so whoever opens it is not told the story as if it still held."""
    title = book.title if not book.title or book.title.endswith(CHANGED_SUFFIX) else book.title + CHANGED_SUFFIX
    story = book.story if not book.story or book.story.startswith(AS_LOADED) else AS_LOADED + book.story
    return book if (title, story) == (book.title, book.story) else dataclasses.replace(book, title=title, story=story)


def sample_stories() -> list[dict[str, str]]:
    """[{name, title, story}] of every sample portfolio file."""
    out = []
    for name in sample_names():
        book = load_document(SAMPLES_DIR / name).portfolio
        out.append({"name": name, "title": book.title or name, "story": book.story})
    return out
