"""The rule sets the app offers: a cross preset, a portfolio preset and its cross-unit offsets choice.

The portfolio presets are the classroom teaching set (the default, correlated offsets) and the venue
presets deribit and okx (each coin margined apart, as published) and span; :func:`preset_title` is what
the app shows for each.

A portfolio preset's ``offsets`` ("correlated" | "segregated") is a setting of the sidebar: the
preset with that choice is :func:`portfolio_rules`, one object per combination, so its cache key is
computed once. :class:`RuleSets` names one combination; :func:`every_rule_set` lists them all (the
claims of the teaching texts are checked under each). Pure; no streamlit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from margin import CROSS_PRESETS, PORTFOLIO_PRESETS, PortfolioParams
from margin.presets import DEFAULT_CROSS, DEFAULT_PORTFOLIO, portfolio_params

#: The two settings of a portfolio rule set's cross-unit offsets.
OFFSET_CHOICES: tuple[str, ...] = ("correlated", "segregated")


@lru_cache(maxsize=64)
def portfolio_rules(preset: str, offsets: str | None = None) -> PortfolioParams:
    """The portfolio preset ``preset`` with its cross-unit ``offsets`` set ("correlated" | "segregated"; None
    keeps the preset's own). The same object for the same arguments, so its cache key is computed once."""
    params = portfolio_params(preset)
    if offsets is None or offsets == params.offsets:
        return params
    return params.with_changes(offsets=offsets)


@dataclass(frozen=True)
class RuleSets:
    """One combination of the app's rule sets: a cross preset, a portfolio preset, its offsets."""

    cross: str = DEFAULT_CROSS
    portfolio: str = DEFAULT_PORTFOLIO
    offsets: str = "correlated"

    @property
    def portfolio_params(self) -> PortfolioParams:
        return portfolio_rules(self.portfolio, self.offsets)

    @property
    def label(self) -> str:
        return f"{self.cross} / {self.portfolio}, {self.offsets} offsets"

    def matches(self, only: Iterable[tuple[str, str]]) -> bool:
        """True when every (field, value) pair of ``only`` holds for these rule sets."""
        return all(getattr(self, key) == value for key, value in only)


def preset_title(mode: str, name: str) -> str:
    """What the app shows for the ``mode`` ("cross" | "portfolio") preset ``name``: its label (the venue and
    what it follows, or "Classroom (...)" for the teaching set), else its name."""
    presets = CROSS_PRESETS if mode == "cross" else PORTFOLIO_PRESETS
    return presets[name].title if name in presets else name


def every_rule_set() -> tuple[RuleSets, ...]:
    """Every combination the app offers: cross presets × portfolio presets × offsets."""
    return tuple(RuleSets(c, p, o) for c, p, o in itertools.product(CROSS_PRESETS, PORTFOLIO_PRESETS, OFFSET_CHOICES))
