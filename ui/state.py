"""The one session object of the dashboard: a frozen ``Workspace`` in st.session_state["workspace"].

Pages read it with :func:`get` and write a new one with :func:`save` (which also keeps the share
link in the address bar in sync, see :mod:`views.link`). A book replaced from outside the editors
(sample, upload, link, slider) goes through :func:`replace_book`, which bumps ``revision`` so the
editors restart from it. Presenter mode is the session's other setting (st.session_state["presenter"]).
A session opened from a link starts from the whole view it carries (:func:`get`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import streamlit as st

from margin import Market, Portfolio, PortfolioError, cross_margin
from margin.io import (
    apply_market_overrides,
    decode_share_token,
    encode_share_token,
    load_document,
    market_overrides,
)
from margin.params import PortfolioParams
from margin.presets import DEFAULT_CROSS, DEFAULT_PORTFOLIO
from ui.engine_cache import by_identity
from views import link
from views.rules import portfolio_rules
from views.samples import DEFAULT_SAMPLE, base_market, load_sample, sample_names

KEY = "workspace"
PRESENTER_KEY = "presenter"
LINK_ERROR_KEY = "link_error"
LINK_LESSON_KEY = "link_lesson"
#: The sample of a book that is no sample (uploaded, shared, edited into another sample's book).
CUSTOM = "custom"


@dataclass(frozen=True)
class Workspace:
    """Everything the pages share.

    Attributes:
        portfolio: the book being studied.
        market: prices, vols, correlations (the default market with the user's changes).
        cross_preset, portfolio_preset: names of the rule sets (keys of CROSS_PRESETS / PORTFOLIO_PRESETS).
        offsets: the portfolio rule set's cross-unit offsets, "correlated" or "segregated"; None keeps the
            portfolio preset's own setting (and a new portfolio preset starts from its own, see :meth:`replace`).
        sample: file name of the sample the book started from, "empty", or "custom" (upload, link).
        revision: bumps when the book is replaced from outside the positions table (a slider too);
            the table is keyed on it so it restarts from ``editor_base``.
        outside_revision: bumps when the book is replaced from outside the Build page's controls
            (sample, upload, link, lesson); the collateral table is keyed on it, so a slider move
            does not rebuild it (a browser redraws a rebuilt widget from scratch).
        market_revision: the same for the market controls.
        editor_base: the book as it was at the last revision: the table's starting data.
        slider_anchor: the book as last set by anything but a slider; slider ranges come from it,
            so a range does not rescale under the user's hand while they drag.
        slider_revision: bumps with every new anchor; the sliders are keyed on it, so they restart
            from a value set elsewhere but keep their identity while dragged.
    """

    portfolio: Portfolio
    market: Market
    cross_preset: str = DEFAULT_CROSS
    portfolio_preset: str = DEFAULT_PORTFOLIO
    sample: str = DEFAULT_SAMPLE
    revision: int = 0
    outside_revision: int = 0
    market_revision: int = 0
    editor_base: Portfolio | None = None
    slider_anchor: Portfolio | None = None
    slider_revision: int = 0
    offsets: str | None = None

    @property
    def portfolio_offsets(self) -> str:
        """The offsets in force: the user's choice, else the portfolio preset's own."""
        return self.offsets or portfolio_rules(self.portfolio_preset).offsets

    @property
    def portfolio_rules(self) -> PortfolioParams:
        """The portfolio rule set in force: the preset with the offsets choice (one object per combination)."""
        return portfolio_rules(self.portfolio_preset, self.offsets)

    @property
    def base(self) -> Portfolio:
        return self.editor_base if self.editor_base is not None else self.portfolio

    @property
    def anchor(self) -> Portfolio:
        return self.slider_anchor if self.slider_anchor is not None else self.portfolio

    def replace(self, **changes) -> Workspace:
        """A copy with ``changes``; another portfolio preset, unless ``offsets`` is given too, comes with
        its own offsets setting (the choice was a variant of the previous preset)."""
        if changes.get("portfolio_preset", self.portfolio_preset) != self.portfolio_preset:
            changes.setdefault("offsets", None)
        if changes.get("offsets") is not None:
            own = portfolio_rules(changes.get("portfolio_preset", self.portfolio_preset)).offsets
            changes["offsets"] = None if changes["offsets"] == own else changes["offsets"]
        return dataclasses.replace(self, **changes)

    def anchored(self, portfolio: Portfolio) -> Workspace:
        """This workspace with ``portfolio`` set by something other than a slider."""
        return self.replace(portfolio=portfolio, slider_anchor=portfolio, slider_revision=self.slider_revision + 1)


def fresh(sample: str = DEFAULT_SAMPLE) -> Workspace:
    portfolio, market = load_sample(sample)
    return Workspace(portfolio, market, sample=sample, editor_base=portfolio)


def share_token(workspace: Workspace) -> str:
    """The ?book= token: the book plus the market's differences from the default market."""
    return _share_token(workspace.portfolio, workspace.market)


def presenter() -> bool:
    """Presenter mode: larger text and charts (the sidebar's toggle, a link's ``presenter=on``)."""
    return bool(st.session_state.get(PRESENTER_KEY, False))


def set_presenter(on: bool) -> None:
    st.session_state[PRESENTER_KEY] = bool(on)


def view(workspace: Workspace, lesson: str | None = None, step: int | None = None) -> link.View:
    """What a link to this workspace restores (with presenter mode, and ``lesson`` at ``step`` if given)."""
    return link.View(share_token(workspace), workspace.cross_preset, workspace.portfolio_preset,
                     workspace.portfolio_offsets, presenter(), lesson, step)


def share_query(workspace: Workspace) -> str:
    """The share link's query string (without "?") for this workspace and presenter mode."""
    return link.query(view(workspace))


@by_identity
def _share_token(portfolio: Portfolio, market: Market) -> str:
    return encode_share_token(portfolio, _overrides(market))


@by_identity
def _overrides(market: Market) -> dict:
    """The market's differences from the default market: a slider moves the book, not the market,
    so this is computed once per market rather than once per book."""
    return market_overrides(base_market(), market)


def from_token(token: str) -> Workspace:
    """A workspace from a share token; PortfolioError with a readable message if it is bad."""
    return _from_document(decode_share_token(token))


def _from_document(document) -> Workspace:
    market = apply_market_overrides(base_market(), document.market_overrides)
    return Workspace(document.portfolio, market, sample=_sample_of(document.portfolio, market),
                     editor_base=document.portfolio)


def _sample_of(portfolio: Portfolio, market: Market) -> str:
    """The sample whose book and market these are exactly, else "custom" (an edited or uploaded book)."""
    for name in sample_names():
        try:
            if load_sample(name) == (portfolio, market):
                return name
        except Exception:  # noqa: BLE001 - a broken sample file is the sidebar's to report, not the link's
            continue
    return CUSTOM


def from_link(params) -> tuple[Workspace, link.View]:
    """The workspace and view a link's query parameters describe; PortfolioError saying what is wrong."""
    view_, document = link.decode(params)
    workspace = fresh() if document is None else _from_document(document)
    workspace = workspace.replace(cross_preset=view_.cross_preset, portfolio_preset=view_.portfolio_preset,
                                  offsets=view_.offsets)
    return workspace, view_


def sync_link(workspace: Workspace) -> None:
    """Keep the address bar's book and sidebar settings equal to the workspace's (lesson, step, term untouched)."""
    wanted = link.encode(view(workspace))
    for name in link.SETTINGS:
        if name not in wanted:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != wanted[name]:
            st.query_params[name] = wanted[name]


def get() -> Workspace:
    """The session's workspace, created on first use: from the link's view when the address carries a book or
    a sidebar setting (refused whole, with :func:`link_error`, when any part is bad), else the default sample."""
    workspace = st.session_state.get(KEY)
    if isinstance(workspace, Workspace):
        return workspace
    workspace = fresh()
    params = st.query_params.to_dict()
    if link.carries_settings(params):
        try:
            workspace, opened = from_link(params)
        except PortfolioError as error:
            st.session_state[LINK_ERROR_KEY] = str(error)
        except Exception as error:  # noqa: BLE001 - a damaged link must never break the page
            st.session_state[LINK_ERROR_KEY] = f"the link could not be read ({type(error).__name__})."
        else:
            set_presenter(opened.presenter)
            if opened.book is not None and opened.lesson:
                st.session_state[LINK_LESSON_KEY] = opened.lesson
    save(workspace)
    return workspace


def take_link_lesson() -> str | None:
    """The lesson a link opened together with its own book, once: the Learn page keeps that book rather
    than loading the lesson's sample over it."""
    return st.session_state.pop(LINK_LESSON_KEY, None)


def save(workspace: Workspace) -> Workspace:
    st.session_state[KEY] = workspace
    sync_link(workspace)
    return workspace


def replace_book(portfolio: Portfolio, market: Market | None = None, sample: str | None = None,
                 from_slider: bool = False) -> Workspace:
    """Replace the book (and optionally the market) from outside the table; editors restart from it.

    ``from_slider``: the change came from a Build-page slider, which only moves one position: the
    positions table restarts, the collateral table, the sliders and their ranges stay as they are.
    """
    current = get()
    if not from_slider:
        current = current.anchored(portfolio).replace(outside_revision=current.outside_revision + 1)
    elif current.slider_anchor is None:
        current = current.replace(slider_anchor=current.portfolio)
    changes: dict = {"portfolio": portfolio, "editor_base": portfolio, "revision": current.revision + 1}
    if market is not None:
        changes.update(market=market, market_revision=current.market_revision + 1)
    if sample is not None:
        changes["sample"] = sample
    st.session_state.pop(LINK_ERROR_KEY, None)
    return save(current.replace(**changes))


def link_error() -> str | None:
    return st.session_state.get(LINK_ERROR_KEY)


def read_document(data: bytes | str) -> tuple[Portfolio, Market]:
    """Book and market from an uploaded file, checked against the engine before anything is replaced.

    Raises PortfolioError naming the field when the file is malformed or the book cannot be
    evaluated (an asset without a price, an invalid market block).
    """
    document = load_document(data)
    market = apply_market_overrides(base_market(), document.market_overrides)
    cross_margin(document.portfolio, market)
    return document.portfolio, market
