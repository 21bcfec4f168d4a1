"""The result object every margin model returns."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True, eq=False)
class MarginResult:
    """Requirement and equity of a book under one margin mode. All money in USD.

    Attributes:
        mode: "cross", "isolated" or "portfolio".
        initial: initial margin: what must be posted to open or add to positions.
        maintenance: maintenance margin: equity below it triggers liquidation.
        equity: account equity under this mode's haircuts (collateral, holdings, unrealised P&L,
            option marks).
        breakdown_source: the breakdown DataFrame, or a zero-argument function that builds it
            (most callers never look, so building it is deferred); read it as ``breakdown``.
        binding_scenario: portfolio mode: a readable label of the scenario that set the
            requirement; None for cross.
        params_name: the rule set used.
        scenario_grids: portfolio mode: risk unit -> DataFrame of scenario P&L (USD), rows = vol
            scenario, columns = price move (fraction of spot).
        details: extra numbers for charts (ranges, segregated and correlated losses...).
    """

    mode: str
    initial: float
    maintenance: float
    equity: float
    breakdown_source: object
    binding_scenario: str | None = None
    params_name: str = ""
    scenario_grids: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    details: Mapping[str, object] = field(default_factory=dict)

    @property
    def breakdown(self) -> pd.DataFrame:
        """A row per position (cross, isolated) or per component (portfolio); its ``maintenance``
        and ``initial`` columns add up to the totals (USD)."""
        source = self.breakdown_source
        if callable(source):
            source = source()
            object.__setattr__(self, "breakdown_source", source)
        return source

    @property
    def excess(self) -> float:
        """Equity minus maintenance (USD): how much can be lost before liquidation."""
        return self.equity - self.maintenance

    @property
    def free_collateral(self) -> float:
        """Equity minus initial (USD): room to open new positions; negative means none."""
        return self.equity - self.initial

    @property
    def margin_ratio(self) -> float:
        """Maintenance / equity: 1.0 (100 %) or more means liquidation. inf when equity <= 0."""
        if self.maintenance <= 0:
            return 0.0 if self.equity >= 0 else math.inf
        if self.equity <= 0:
            return math.inf
        return self.maintenance / self.equity

    @property
    def is_liquidatable(self) -> bool:
        """True when equity is below maintenance (or negative)."""
        return self.equity < self.maintenance or self.equity < 0

    def materialise(self) -> MarginResult:
        """Build the deferred breakdown and grids now; returns self (for caching or pickling)."""
        _ = self.breakdown
        object.__setattr__(self, "scenario_grids", {k: v for k, v in self.scenario_grids.items()})
        return self

    def __getstate__(self) -> dict:
        self.materialise()
        return dict(self.__dict__)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def summary(self) -> dict[str, float]:
        return {
            "initial": self.initial,
            "maintenance": self.maintenance,
            "equity": self.equity,
            "excess": self.excess,
            "free_collateral": self.free_collateral,
            "margin_ratio": self.margin_ratio,
        }
