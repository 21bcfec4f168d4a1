"""The share link: the whole view in the address bar's query string, and back.

    ?book=<token>&cross=<preset>&portfolio=<preset>&offsets=<correlated|segregated>&v=2[&presenter=on]
     [&lesson=<id>&step=<n>][&class=<id>]

``book`` is :func:`margin.io.encode_share_token` of the book and the market's changes from the
default market; the rest are the sidebar's settings and, on the Learn page, the open lesson, and on a
class link the class the student joins (``ui.classroom``). Every
page keeps the :data:`SETTINGS` in the address bar (``ui.state.sync_link``); the Learn page keeps
``lesson`` and ``step``. Pure functions, no Streamlit: :func:`decode` either returns the whole view
or raises PortfolioError with a sentence a reader can act on, so a link opens exactly or not at all.

``v`` is the link's version. Links without one were made before version 2 (issue 18), when the
portfolio preset called "deribit" was the teaching rule set that is now "classroom", and "okx" a
correlated, volatility-scaled variant. Such a link is read as it was meant, never silently:
``portfolio=deribit`` opens the classroom rule set, the one its sender saw (the same rules, renamed),
and ``portfolio=okx`` opens today's okx, whose rules changed; either way :attr:`View.notice` says what
happened, and the app shows it. A version this app does not know is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from margin import PortfolioError
from margin.io import PortfolioDocument, decode_share_token
from margin.presets import CROSS_PRESETS, DEFAULT_CROSS, DEFAULT_PORTFOLIO, PORTFOLIO_PRESETS

BOOK, CROSS, PORTFOLIO, OFFSETS, PRESENTER, LESSON, STEP, VERSION, CLASS = (
    "book", "cross", "portfolio", "offsets", "presenter", "lesson", "step", "v", "class")
#: A class id: 4 to 24 URL-safe characters (``ui.classroom.new_class_id`` makes 8).
CLASS_PATTERN = re.compile(r"[A-Za-z0-9_-]{4,24}")
#: What every page writes: the book and the sidebar's settings, and the link's version (the Learn page adds
#: lesson and step).
SETTINGS = (BOOK, CROSS, PORTFOLIO, OFFSETS, PRESENTER, VERSION)
#: The version :func:`encode` writes. Version 1 (no ``v``): links made before the presets followed their venues.
CURRENT_VERSION = "2"
#: Version-1 portfolio presets: the name a link carried -> (the preset it opens now, what the app says).
_RENAMED_V1 = {
    "deribit": ("classroom", "This link was made before the portfolio presets were renamed: its “deribit” was "
                             "the teaching rule set now called “classroom”, so it opens with classroom, as its "
                             "sender saw it. The “deribit” preset now follows Deribit's published Segregated "
                             "Portfolio Margin; choose it in the sidebar to compare."),
    "okx": ("okx", "This link was made before the okx preset followed OKX's published rules (fixed spot shocks, "
                   "each coin margined apart, MR4 basis): it opens with today's okx and the offsets it carried, so "
                   "its portfolio numbers differ from what its sender saw."),
}
OFFSET_CHOICES = ("correlated", "segregated")
_ON, _OFF = ("on", "true", "1", "yes"), ("off", "false", "0", "no")


@dataclass(frozen=True)
class View:
    """Everything a link restores.

    Attributes:
        book: the ?book= token (book and market changes); None for the default book.
        cross_preset, portfolio_preset: rule-set names (keys of CROSS_PRESETS / PORTFOLIO_PRESETS).
        offsets: "correlated" | "segregated"; None for the portfolio preset's own setting.
        presenter: presenter mode on.
        lesson, step: the lesson open on the Learn page and its 1-based step (None: no lesson). The
            Learn page judges them (an unknown lesson is a warning there, a step out of range is clamped).
        notice: what the app must say about how an older link was read (None for a current link);
            not written back into a link.
        class_id: the class a class link joins (None: no class).
    """

    book: str | None = None
    cross_preset: str = DEFAULT_CROSS
    portfolio_preset: str = DEFAULT_PORTFOLIO
    offsets: str | None = None
    presenter: bool = False
    lesson: str | None = None
    step: int | None = None
    notice: str | None = None
    class_id: str | None = None


def encode(view: View) -> dict[str, str]:
    """The query parameters of ``view``, in link order; presenter only when on, lesson only when open."""
    params = {} if view.book is None else {BOOK: view.book}
    params[CROSS] = view.cross_preset
    params[PORTFOLIO] = view.portfolio_preset
    params[OFFSETS] = view.offsets or PORTFOLIO_PRESETS[view.portfolio_preset].offsets
    params[VERSION] = CURRENT_VERSION
    if view.presenter:
        params[PRESENTER] = "on"
    if view.lesson:
        params[LESSON] = view.lesson
        params[STEP] = str(view.step or 1)
    if view.class_id:
        params[CLASS] = view.class_id
    return params


def query(view: View) -> str:
    """``view`` as a query string (without the "?")."""
    return urlencode(encode(view))


def carries_settings(params: Mapping[str, str]) -> bool:
    """True when the query string holds a book or any sidebar setting (not only a lesson or a term)."""
    return any(name in params for name in SETTINGS)


def _choice(params: Mapping[str, str], name: str, choices, default: str, what: str) -> str:
    value = params.get(name)
    if value is None:
        return default
    wanted = str(value).strip().lower()
    if wanted not in choices:
        raise PortfolioError(f"share link: the {what} '{_short(value)}' is not one of {', '.join(choices)}; "
                             "copy the whole link again.")
    return wanted


def _short(value: object, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _presenter(value: str | None) -> bool:
    if value is None:
        return False
    wanted = str(value).strip().lower()
    if wanted in _ON:
        return True
    if wanted in _OFF:
        return False
    raise PortfolioError(f"share link: presenter must be 'on' or 'off' (got '{_short(value)}').")


def _step(value: str | None) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None  # the Learn page clamps an unreadable step to the first one


def _document(token: str) -> PortfolioDocument:
    try:
        return decode_share_token(token)
    except PortfolioError as error:
        message = str(error)
        if message.startswith("share link"):
            raise
        raise PortfolioError(f"share link: the book in it cannot be read: {message}") from None


def decode(params: Mapping[str, str]) -> tuple[View, PortfolioDocument | None]:
    """The view a query string describes, and its decoded book (None when the link has no book).

    Raises PortfolioError naming what is wrong (a damaged book, an unknown preset or version, a bad
    offsets or presenter value); parameters the link does not name take their defaults, others are
    ignored. A version-1 link's portfolio preset is read as the module docstring says, with a notice.
    """
    version = _choice(params, VERSION, ("1", CURRENT_VERSION), "1", "link version")
    cross = _choice(params, CROSS, tuple(CROSS_PRESETS), DEFAULT_CROSS, "cross margin preset")
    notice = None
    if version == "1":
        portfolio = _choice(params, PORTFOLIO, tuple(PORTFOLIO_PRESETS), DEFAULT_PORTFOLIO, "portfolio margin preset")
        if portfolio in _RENAMED_V1 and params.get(PORTFOLIO) is not None:
            portfolio, notice = _RENAMED_V1[portfolio]
    else:
        portfolio = _choice(params, PORTFOLIO, tuple(PORTFOLIO_PRESETS), DEFAULT_PORTFOLIO, "portfolio margin preset")
    offsets = _choice(params, OFFSETS, OFFSET_CHOICES, "", "offsets setting") or None
    if offsets == PORTFOLIO_PRESETS[portfolio].offsets:
        offsets = None  # the preset's own setting
    presenter = _presenter(params.get(PRESENTER))
    token = params.get(BOOK)
    document = None if token is None else _document(token)
    lesson = params.get(LESSON) or None
    view = View(token, cross, portfolio, offsets, presenter, lesson, _step(params.get(STEP)) if lesson else None,
                notice, _class(params.get(CLASS)))
    return view, document


def _class(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not CLASS_PATTERN.fullmatch(str(value)):
        raise PortfolioError(f"share link: the class '{_short(value)}' is not a class id (4 to 24 letters, digits, "
                             "'-' or '_'); copy the whole link again.")
    return str(value)
