"""The portfolio breakdown's rows under the names the active venue preset's documents use. Pure; no streamlit.

The engine names its components once, for every rule set ("scenario loss", "roll shock", ...). A trader
checking the okx preset against OKX reads MR1 ... MR9, and one checking deribit reads the fields of
Deribit's private/pme/simulate; :func:`named_breakdown` puts those names in front of the engine's, where
the engine computes the venue's component, and says where a row is not the venue's at all.
"""

from __future__ import annotations

import pandas as pd

#: preset -> engine component -> what the venue calls it (the engine's own name follows in the table).
VENUE_NAMES: dict[str, dict[str, str]] = {
    "okx": {
        # MR1 spot shock on the price grid; MR6 = half the loss at the extreme move (extreme_fraction 0.5).
        "scenario loss": "MR1 / MR6: max(spot shock, ½ × extreme move)",
        "roll shock": "MR4: basis",
        "short-option minimum": "assumed, not an OKX MR",
        "depeg add-on": "assumed, not an OKX MR",
        "correlation offset": "not OKX's: OKX sums risk units",
    },
    "deribit": {
        "scenario loss": "worst_case (risk matrix)",
        "roll shock": "roll_shock",
        "maintenance factor": "mm_factor: maintenance = mm_factor × risk_matrix_margin",
        "correlation offset": "not Deribit's: Segregated PM margins each currency apart",
    },
}


def venue_name(preset: str, component: str) -> str:
    """``component`` as the ``preset``'s venue calls it, with the engine's name: 'MR4: basis (roll shock)'; the
    engine's name alone for a preset without venue names or a component it has no name for."""
    named = VENUE_NAMES.get(preset, {}).get(component)
    return f"{named} ({component})" if named else component


def named_breakdown(breakdown: pd.DataFrame, preset: str) -> pd.DataFrame:
    """A portfolio breakdown with its ``component`` column in the venue's names (:func:`venue_name`)."""
    if preset not in VENUE_NAMES or breakdown.empty:
        return breakdown
    frame = breakdown.copy()
    frame["component"] = [venue_name(preset, c) for c in frame["component"]]
    return frame
