"""The one session object of the dashboard: a frozen ``Workspace`` in st.session_state["workspace"].

Pages read it with :func:`get`, make the run's changes with its ``with_book`` / ``with_market`` /
``with_rules`` methods (which keep the Build page's widget bookkeeping, :class:`Editors`) and write
the result once with :func:`save`, which also keeps the share link in the address bar in sync (see
:mod:`views.link`); :func:`replace_book` does both for a book from outside the tables (sample,
upload, lesson, slider). Presenter mode is the session's other setting (st.session_state["presenter"]).
A session opened from a link starts from the whole view it carries (:func:`get`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

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
from views import link, samples
from views.rules import portfolio_rules
from views.samples import DEFAULT_SAMPLE, base_market, load_sample, sample_names

KEY = "workspace"
PRESENTER_KEY = "presenter"
LINK_ERROR_KEY = "link_error"
LINK_NOTICE_KEY = "link_notice"
LINK_LESSON_KEY = "link_lesson"
#: The sample of a book that is no sample (uploaded, shared, edited into another sample's book).
CUSTOM = "custom"


#: Where a new book comes from, which decides which editors restart from it (:meth:`Workspace.with_book`).
BookSource = Literal["table", "filled", "rows", "slider", "outside"]
#: Where a new market comes from: the market controls themselves, or anything else (which restarts them).
MarketSource = Literal["controls", "outside"]
_KEEP = object()


@dataclass(frozen=True)
class Editors:
    """The Build page's widget bookkeeping, kept apart from the book: the revision each editor is keyed
    on (a new revision makes Streamlit build a new widget, which starts from the workspace) and what
    the editors start from. :meth:`Workspace.with_book` and :meth:`Workspace.with_market` bump them.

    Attributes:
        positions: bumps when the book is replaced from outside the positions table; the table is keyed
            on it so it restarts from ``base``. A slider's move bumps it only when the table holds edits
            of its own, which Streamlit would replay over the moved book; else the table (a fixed-rows
            editor, identified by its key and shape) shows the moved ``base`` in place, without the
            browser building a new grid on every move.
        collateral: bumps when the book is replaced from outside the Build page's controls (sample,
            upload, link, lesson); the collateral table is keyed on it, so a slider move does not
            rebuild it (a browser redraws a rebuilt widget from scratch).
        market: bumps when the market is replaced from outside the market controls (sample, upload,
            repair, a price history); the market controls are keyed on it.
        sliders: bumps with every new ``anchor``; the sliders are keyed on it, so they restart from a
            value set elsewhere but keep their identity while dragged.
        base: the table's starting data: the book as it was at the last ``positions`` revision or the
            last slider move (None: the book itself, until the table changes it).
        anchor: the book as last set by anything but a slider; slider ranges come from it, so a range
            does not rescale under the user's hand while they drag (None: the book itself).
    """

    positions: int = 0
    collateral: int = 0
    market: int = 0
    sliders: int = 0
    base: Portfolio | None = None
    anchor: Portfolio | None = None


@dataclass(frozen=True)
class Workspace:
    """Everything the pages share.

    Attributes:
        portfolio: the book being studied.
        market: prices, vols, correlations (the default market with the user's changes).
        cross_preset, portfolio_preset: names of the rule sets (keys of CROSS_PRESETS / PORTFOLIO_PRESETS).
        offsets: the portfolio rule set's cross-unit offsets, "correlated" or "segregated"; None keeps the
            portfolio preset's own setting (and a new portfolio preset starts from its own, see
            :meth:`with_rules`).
        sample: file name of the sample the book started from, "empty", or "custom" (upload, link).
        editors: the Build page's widget bookkeeping (:class:`Editors`).

    Change it through :meth:`with_book`, :meth:`with_market` and :meth:`with_rules`, which keep the
    bookkeeping; the result is saved once per run with :func:`save`.
    """

    portfolio: Portfolio
    market: Market
    cross_preset: str = DEFAULT_CROSS
    portfolio_preset: str = DEFAULT_PORTFOLIO
    offsets: str | None = None
    sample: str = DEFAULT_SAMPLE
    editors: Editors = Editors()

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
        """The book the positions table starts from."""
        return self.editors.base if self.editors.base is not None else self.portfolio

    @property
    def anchor(self) -> Portfolio:
        """The book the sliders' ranges come from."""
        return self.editors.anchor if self.editors.anchor is not None else self.portfolio

    def with_book(self, portfolio: Portfolio, source: BookSource, market: Market | None = None,
                  sample: str | None = None, table_edited: bool = False) -> Workspace:
        """This workspace holding ``portfolio``, the editors restarted as ``source`` requires.

        ``source``: "table", typed into the Build page's tables (they keep their state; the sliders
        re-anchor on it); "filled", the table's blank entries filled from today's prices, or "rows", a row
        typed into the table's blank last row or ticked to be removed (the positions table restarts from
        it, the sliders re-anchor); "slider", a Build-page slider moved one position (the positions table
        shows it in place, or restarts from it when ``table_edited``: it holds edits of its own; the
        collateral table and the sliders' ranges stay); "outside", a sample, an upload, a link or a lesson
        (every editor restarts; ``market`` and ``sample`` may come with it).
        """
        if source != "outside":  # the user's own change: the sample's title and story no longer describe it
            portfolio = samples.edited(portfolio)
        editors = self.editors
        if source != "slider":
            editors = dataclasses.replace(editors, anchor=portfolio, sliders=editors.sliders + 1)
        elif editors.anchor is None:
            editors = dataclasses.replace(editors, anchor=self.portfolio)
        if source == "slider" and not table_edited:
            editors = dataclasses.replace(editors, base=portfolio)
        elif source != "table":
            editors = dataclasses.replace(editors, base=portfolio, positions=editors.positions + 1)
        elif editors.base is None:  # the table keeps starting from the book it was drawn from
            editors = dataclasses.replace(editors, base=self.portfolio)
        if source == "outside":
            editors = dataclasses.replace(editors, collateral=editors.collateral + 1)
        elif market is not None or sample is not None:
            raise ValueError(f"only a book from outside brings a market or a sample, not one from the {source}")
        changed = dataclasses.replace(self, portfolio=portfolio, editors=editors,
                                      sample=self.sample if sample is None else sample)
        return changed if market is None else changed.with_market(market, "outside")

    def with_market(self, market: Market, source: MarketSource = "outside") -> Workspace:
        """This workspace with ``market``; from anywhere but the market controls, they restart from it."""
        editors = self.editors
        if source == "outside":
            editors = dataclasses.replace(editors, market=editors.market + 1)
        return dataclasses.replace(self, market=market, editors=editors)

    def with_rules(self, cross_preset: str | None = None, portfolio_preset: str | None = None,
                   offsets: str | None | object = _KEEP) -> Workspace:
        """This workspace with other rule sets. Another portfolio preset, unless ``offsets`` is given too,
        comes with its own offsets setting (the choice was a variant of the previous preset); an offsets
        choice equal to the preset's own is stored as None."""
        preset = portfolio_preset or self.portfolio_preset
        if offsets is _KEEP:
            offsets = self.offsets if preset == self.portfolio_preset else None
        if offsets is not None and offsets == portfolio_rules(preset).offsets:
            offsets = None
        return dataclasses.replace(self, cross_preset=cross_preset or self.cross_preset, portfolio_preset=preset,
                                   offsets=offsets)


def fresh(sample: str = DEFAULT_SAMPLE) -> Workspace:
    """A workspace on the sample ``sample`` with the default rule sets."""
    portfolio, market = load_sample(sample)
    return Workspace(portfolio, market, sample=sample)


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
    return Workspace(document.portfolio, market, sample=_sample_of(document.portfolio, market))


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
    workspace = workspace.with_rules(view_.cross_preset, view_.portfolio_preset, view_.offsets)
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
            if opened.notice:
                st.session_state[LINK_NOTICE_KEY] = opened.notice
            if opened.book is not None and opened.lesson:
                st.session_state[LINK_LESSON_KEY] = opened.lesson
    _store(workspace)
    return workspace


def take_link_lesson() -> str | None:
    """The lesson a link opened together with its own book, once: the Learn page keeps that book rather
    than loading the lesson's sample over it."""
    return st.session_state.pop(LINK_LESSON_KEY, None)


def save(workspace: Workspace) -> Workspace:
    """Make ``workspace`` the session's: once per run, after every change of the run is made (the
    ``with_*`` methods compose). The address bar follows it."""
    _store(workspace)
    return workspace


def _store(workspace: Workspace) -> None:
    st.session_state[KEY] = workspace
    sync_link(workspace)


def replace_book(portfolio: Portfolio, market: Market | None = None, sample: str | None = None,
                 source: BookSource = "outside", table_edited: bool = False) -> Workspace:
    """Save the workspace with ``portfolio`` (and ``market``, ``sample``) from ``source``
    (:meth:`Workspace.with_book`). A new book clears the message of a link that could not be opened."""
    forget_link_error()
    return save(get().with_book(portfolio, source, market, sample, table_edited))


def link_error() -> str | None:
    """Why the link this session was opened from could not be opened (None when it could)."""
    return st.session_state.get(LINK_ERROR_KEY)


def link_notice() -> str | None:
    """How an older link this session was opened from was read (None for a current link): views.link's notice."""
    return st.session_state.get(LINK_NOTICE_KEY)


def forget_link_error() -> None:
    """Stop showing the link's messages (why it failed, how an older one was read): its book has been replaced."""
    st.session_state.pop(LINK_ERROR_KEY, None)
    st.session_state.pop(LINK_NOTICE_KEY, None)


def read_document(data: bytes | str) -> tuple[Portfolio, Market]:
    """Book and market from an uploaded file, checked against the engine before anything is replaced.

    Raises PortfolioError naming the field when the file is malformed or the book cannot be
    evaluated (an asset without a price, an invalid market block).
    """
    document = load_document(data)
    market = apply_market_overrides(base_market(), document.market_overrides)
    cross_margin(document.portfolio, market)
    return document.portfolio, market
