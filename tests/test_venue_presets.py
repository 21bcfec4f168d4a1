"""Issue 18: the venue presets as the app shows them: labels, dated sources, the venues' component names,
and the readings that depend on a rule set's maintenance factor or fixed ranges."""

from __future__ import annotations

import re

import pytest

from margin import Market, Perp, Portfolio, portfolio_margin
from margin.presets import CROSS_PRESETS, DEFAULT_PORTFOLIO, PORTFOLIO_PRESETS
from views import components, methodology, scenario_text, text
from views.rules import preset_title


def test_every_preset_has_a_label_and_a_dated_source_with_its_simplifications():
    for mode, presets in (("cross", CROSS_PRESETS), ("portfolio", PORTFOLIO_PRESETS)):
        for name, preset in presets.items():
            assert preset.label and preset_title(mode, name) == preset.label
            follows, simplifications = methodology.source_parts(preset.source)
            assert re.search(r"\b20[12]\d\b", follows) and simplifications, name
            assert all(item.endswith(".") for item in simplifications)
    assert preset_title("portfolio", DEFAULT_PORTFOLIO) == "Classroom (Deribit-style grid, correlated offsets)"
    assert "not a venue's" in PORTFOLIO_PRESETS["classroom"].source


def test_source_parts_splits_at_semicolons_outside_brackets():
    follows, items = methodology.source_parts("Doc (2025). SIMPLIFICATIONS: a (x; y); pnl_offset ignored; c.")
    assert follows == "Doc (2025)." and items == ["A (x; y).", "pnl_offset ignored.", "C."]


def test_okx_rows_carry_okx_names_and_keep_their_numbers():
    market = Market({"BTC": 97_000.0}, {"BTC": 0.5})
    result = portfolio_margin(Portfolio([Perp("BTC", -0.1, 100_000.0)]), market, "okx")
    named = components.named_breakdown(result.breakdown, "okx")
    assert list(named["component"]) == ["MR1 / MR6: max(spot shock, ½ × extreme move) (scenario loss)",
                                        "MR4: basis (roll shock)"]
    assert named["maintenance"].tolist() == result.breakdown["maintenance"].tolist()
    assert named["maintenance"].sum() == pytest.approx(result.maintenance)
    assert components.named_breakdown(result.breakdown, "classroom") is result.breakdown
    assert components.venue_name("span", "roll shock") == "roll shock"


def test_the_readings_say_deribits_maintenance_factor():
    reading = text.read_initial_vs_maintenance({}, 14_953.0, 11_963.0, 14_953.0, 11_963.0, 1.25, "deribit",
                                               (0.15, 0.1, 0.075), mm_factor=0.8)
    assert "1.25× its $11,963 maintenance" in reading
    assert "maintenance at 0.8 × the worst scenario loss plus add-ons" in reading
    assert "initial is equal to the loss plus add-ons" in reading
    binding = scenario_text.read_binding("BTC -16.0%", 14_073.6, [("roll shock on BTC", 879.6)], {"BTC": 14_073.6},
                                         factor=0.8)
    assert "keeps 80 % of that as maintenance (its maintenance factor): $11,963" in binding
    assert "maintenance factor" not in scenario_text.read_binding("BTC -16.0%", 14_073.6, [], {"BTC": 14_073.6})


def test_flat_lines_are_read_as_flat():
    assert scenario_text.read_no_jump(22_189.2, 22_189.4) == ("No jump on this line: the portfolio requirement stays "
                                                               "at $22,189 all along it.")
    assert "changes smoothly" in scenario_text.read_no_jump(100.0, 900.0)
    assert scenario_text.read_sweep_extremes("Portfolio maintenance", 22_189.2, 22_189.4) == (
        "Portfolio maintenance stays at $22,189 over the whole grid.")
    segregated = scenario_text.read_correlation_line("okx", "segregated", 19_561.0, 19_561.0, 2)
    assert "no correlation enters the portfolio requirement" in segregated and "$19,561" in segregated
    assert "at most one risk unit" in scenario_text.read_correlation_line("classroom", "correlated", 5.0, 5.0, 1)
    assert "ranges from $3,218 to $18,097" in scenario_text.read_correlation_line("classroom", "correlated",
                                                                                 3_218.0, 18_097.0, 2)
