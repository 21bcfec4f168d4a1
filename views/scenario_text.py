"""Readings of portfolio-margin scenarios and of shocks: the binding scenario, a risk unit's grid,
jumps along a shock sweep, the correlation shock, VaR. Each function turns numbers into one
sentence. Pure; no streamlit.

Money is USD. Fractions are given as fractions (0.12 means 12 %).
"""

from __future__ import annotations

from views.text import is_zero, money, percent, shown_gap


def read_binding(label: str | None, scenario_loss: float | None = None,
                 addons: list[tuple[str, float]] | None = None, unit_losses: dict[str, float] | None = None,
                 factor: float = 1.0) -> str:
    """The scenario that sets the portfolio requirement, from the engine's label and numbers.

    ``scenario_loss``: the loss after offsets (USD); ``addons``: [(name, USD)], the breakdown's add-on
    rows; ``unit_losses``: each risk unit's worst loss alone (USD); ``factor``: the rule set's
    maintenance factor (Deribit's mm_factor: maintenance = factor × (loss + add-ons)). Without the
    numbers, the label alone. A book whose scenarios lose nothing is said so, the requirement named as
    its add-ons; a book whose requirement adds up its units' own worst cases (no offset counts) is said
    so too, rather than naming the largest unit's scenario as if it set the whole requirement.
    """
    reading = _read_binding(label, scenario_loss, addons, unit_losses)
    if scenario_loss is None or factor == 1.0:
        return reading
    total = float(scenario_loss) + sum(usd for _, usd in (addons or []))
    if is_zero(total):
        return reading
    return (f"{reading} This rule set keeps {percent(factor, 0)} of that as maintenance (its maintenance factor): "
            f"{money(factor * total)}.")


def _read_binding(label: str | None, scenario_loss: float | None, addons: list[tuple[str, float]] | None,
                  unit_losses: dict[str, float] | None) -> str:
    if not label:
        return "No scenario sets the portfolio requirement: nothing in the book moves with prices."
    if scenario_loss is None:
        return f"The portfolio requirement is set by this scenario: {label}."
    parts = [(name, usd) for name, usd in (addons or []) if not is_zero(usd)]
    extra = sum(usd for _, usd in parts)
    if is_zero(scenario_loss):
        if not parts:
            return ("No price scenario loses money on this book (the worst scenario loss is $0) and no add-on "
                    "applies, so the portfolio requirement is $0.")
        listed = ", ".join(f"{name} {money(usd)}" for name, usd in parts)
        return (f"No price scenario loses money on this book (the worst scenario loss is $0), so no scenario sets "
                f"the portfolio requirement: all of its {money(extra)} is add-ons ({listed}).")
    plus = f", plus {money(extra)} of add-ons" if parts else ""
    losing = {unit: loss for unit, loss in (unit_losses or {}).items() if not is_zero(loss)}
    if len(losing) > 1 and is_zero(shown_gap(sum(losing.values()), scenario_loss)):
        largest = max(losing, key=losing.get)
        listed = ", ".join(f"{unit} {money(loss)}" for unit, loss in losing.items())
        return (f"No offset counts here: the portfolio requirement adds up every risk unit's own worst scenario loss "
                f"({listed}: {money(scenario_loss)}{plus}); the largest is {largest}'s, at "
                f"{label.split('largest: ')[-1]}.")
    return f"The portfolio requirement is set by this scenario: {label} (a loss of {money(scenario_loss)}{plus})."


def read_var(method: str, value: float, confidence: float = 0.99) -> str:
    label = {"delta-normal": "delta-normal", "monte-carlo": "Monte Carlo"}.get(method, method)
    days = round(confidence * 100)
    return (f"{label}: on {days} days out of 100 the book should lose less than {money(value)} in one day; "
            f"on the other {100 - days} it loses more.")


def read_worst_cell(unit: str, move: float, vol_label: str | None, pnl: float) -> str:
    """The worst cell of a unit's grid (:func:`views.metrics.worst_cell`); ``vol_label`` None when every
    volatility row of that column loses the same (nothing on the unit depends on volatility)."""
    if pnl >= 0 or is_zero(pnl):
        return (f"No cell of the {unit} grid loses money: the unit gains or breaks even (to the dollar) "
                "in every scenario.")
    vol = "in every volatility row (the rows are equal)" if vol_label is None else f"with {vol_label}"
    return (f"The worst cell of the {unit} unit is a {percent(move, signed=True)} price move {vol}: "
            f"a loss of {money(-pnl)}.")


def _move(fraction: float) -> str:
    """A price move as the grid's columns show it: '−16.0 %', '+5.3 %', '0 %'."""
    return "0 %" if round(fraction * 1000) == 0 else percent(fraction, signed=True)


def read_binding_against_grid(unit: str, kind: str, extreme: bool, binding_move: float | None,
                              cell_move: float | None, grid_range: float, unit_losses: dict[str, float],
                              scenario_loss: float, segregated_loss: float, cell_vol: str | None = None) -> str:
    """How the binding scenario relates to the grid shown (the binding unit's), from the numbers.

    ``kind``: "joint" (one move of the whole book, offsets counted), "alone" (one unit, no offset
    possible), "sum" (each unit at its own worst case, added up) or "none". ``binding_move``: the
    unit's price move in the binding scenario (a fraction; None when the label does not list it);
    ``cell_move``: the move of the grid's worst cell (None when no cell loses money); ``grid_range``:
    the grid's widest column; ``unit_losses``: each unit's worst loss alone (USD);
    ``scenario_loss``, ``segregated_loss``: the loss after offsets and the units' losses added up (USD);
    ``cell_vol``: the worst cell's volatility row (None when every row is the same there).
    """
    if kind == "none" or is_zero(scenario_loss) or cell_move is None:
        return ""
    vol = f", {cell_vol}" if cell_vol else ""
    if extreme:
        shown = "—" if binding_move is None else _move(binding_move)
        outside = binding_move is not None and abs(binding_move) > abs(grid_range) + 5e-4
        return (f"The requirement is set by an extreme move ({unit} {shown}), counted at a fraction of its loss: "
                + (f"it lies outside the grid's ±{abs(grid_range) * 100:.1f} % columns, so no cell above shows it."
                   if outside else "an extreme scenario is not one of the grid's cells."))
    same = binding_move is not None and abs(binding_move - cell_move) < 5e-4
    if kind == "alone" and sum(1 for loss in unit_losses.values() if not is_zero(loss)) > 1:
        kind = "sum"  # each unit margined on its own: the requirement adds them all up
    if kind == "alone":
        if same:
            return f"The binding scenario is this grid's worst cell ({unit} {_move(cell_move)}{vol})."
        shown = "—" if binding_move is None else _move(binding_move)
        return f"The binding scenario moves {unit} {shown}; this grid's worst cell is {_move(cell_move)}."
    if kind == "sum":
        largest = max(unit_losses, key=unit_losses.get) if unit_losses else unit
        if same and largest == unit:
            return (f"This grid's worst cell is {unit}'s part of that sum ({money(unit_losses.get(unit, 0.0))}), "
                    "the largest; the other units' worst cases make up the rest.")
        return (f"This grid's worst cell ({_move(cell_move)}) is {unit}'s part of that sum "
                f"({money(unit_losses.get(unit, 0.0))}); the largest part is {largest}'s "
                f"({money(unit_losses.get(largest, 0.0))}).")
    # one joint move of the whole book
    if binding_move is None:
        where = f"The binding scenario moves the whole book at once; {unit}'s move in it is too small to be listed."
    elif abs(binding_move - cell_move) < 5e-4:
        where = (f"The binding scenario moves {unit} {_move(binding_move)}, the same move as this grid's worst cell, "
                 "with the other units moving with it.")
    elif abs(cell_move) < 5e-4 or abs(binding_move) < 5e-4:
        where = (f"The binding scenario moves {unit} {_move(binding_move)}, where this grid's worst cell is "
                 f"{_move(cell_move)}: the worst case for the whole book is not {unit}'s own worst cell.")
    elif (binding_move > 0) != (cell_move > 0):
        where = (f"The binding scenario moves {unit} {_move(binding_move)}, the opposite way from this grid's worst "
                 f"cell ({_move(cell_move)}): the worst case for the whole book is not {unit}'s own worst case.")
    else:
        size = ("a smaller" if abs(binding_move) < abs(cell_move) else "a larger")
        where = (f"The binding scenario moves {unit} {_move(binding_move)}, {size} move than this grid's worst cell "
                 f"({_move(cell_move)}) in the same direction: the worst case for the whole book is not {unit}'s "
                 "own worst case.")
    parts = ", ".join(f"{name} {money(loss)}" for name, loss in unit_losses.items())
    gap = shown_gap(segregated_loss, scenario_loss)
    if is_zero(gap):
        why = (f" Each unit at its own worst case would lose {money(segregated_loss)} in all ({parts}); the worst "
               "single move of the whole book loses as much.")
    elif gap > 0:
        why = (f" Each unit at its own worst case would lose {money(segregated_loss)} in all ({parts}), but one market "
               "move cannot put every unit at its worst at once: the worst move the correlations allow for the "
               f"whole book loses {money(scenario_loss)}, {money(gap)} less.")
    else:
        why = (f" Each unit at its own worst case would lose {money(segregated_loss)} in all ({parts}); the binding "
               f"move of the whole book loses {money(scenario_loss)}, {money(-gap)} more.")
    return where + why


def read_jump(along: str, at: float, scenario_after: str, reason: str, slope_before: float | None = None) -> str:
    """One jump of ``detect_jumps``: vol lines are read upward, correlation lines from +1 toward −1.
    ``slope_before`` (the sweep's slope into the point): a requirement that was flat or falling
    "starts rising", one that was rising "starts rising faster"."""
    if along == "vol_mult":
        where = f"Past ×{at:g} volatility"
    else:
        where = f"Below a correlation shock of {corr_shock(at)} ({corr_shock_effect(at)}),"
    if reason == "binding scenario changes":
        return f"{where} the binding scenario becomes: {scenario_after}."
    if slope_before is not None and slope_before < 0:
        return f"{where} the requirement stops falling and starts rising; binding: {scenario_after}."
    if slope_before is not None and slope_before == 0:
        return f"{where} the requirement starts rising; binding: {scenario_after}."
    return f"{where} the requirement starts rising faster; binding: {scenario_after}."


def read_no_jump(low: float | None = None, high: float | None = None) -> str:
    """A line of the sweep with no jump marked; ``low``, ``high``: the portfolio maintenance along it (USD)."""
    if low is not None and high is not None and is_zero(shown_gap(high, low)):
        return f"No jump on this line: the portfolio requirement stays at {money(high)} all along it."
    return "No jump on this line: the requirement changes smoothly and the binding scenario stays the same."


def read_sweep_extremes(column_label: str, low: float, high: float) -> str:
    if is_zero(shown_gap(high, low)):
        return f"{column_label} stays at {money(high)} over the whole grid."
    if low <= 0:
        return f"{column_label} ranges up to {money(high)} over the grid."
    return f"{column_label} ranges from {money(low)} to {money(high)} ({high / low:.1f}×) over the grid."


# -- the correlation shock -------------------------------------------------------------------------
CORR_SHOCK_SCALE = ("Correlation shock: −1 = hedges break: every correlation falls to 0; 0 = today's correlations; "
                    "+1 = every correlation rises to 1 (all coins move as one); in between, every correlation moves "
                    "that fraction of the way.")


def corr_shock(shock: float) -> str:
    """A correlation shock as a signed number with a true minus: '−1', '−0.4', '0', '+0.6'."""
    if round(shock, 6) == 0:
        return "0"
    return f"{shock:+.2f}".rstrip("0").rstrip(".").replace("-", "−")


def corr_shock_effect(shock: float) -> str:
    """What a correlation shock does to every correlation (``margin.market.shock_correlation``):
    below 0 each is scaled by (1 + shock) toward 0, above 0 each moves that fraction of the way to 1."""
    if shock <= -1:
        return "every correlation at 0"
    if shock < 0 and round(shock, 6) != 0:
        return f"every correlation at {percent(1 + shock, 0)} of today's"
    if shock >= 1:
        return "every correlation at 1"
    if shock > 0 and round(shock, 6) != 0:
        return f"every correlation {percent(shock, 0)} of the way from today's to 1"
    return "today's correlations"


def corr_shock_option(shock: float) -> str:
    """A correlation shock as a slider option: '−1: hedges break (all correlations 0)', '0: today', '+0.4'."""
    if shock <= -1:
        return "−1: hedges break (every correlation 0)"
    if shock >= 1:
        return "+1: every correlation 1"
    if round(shock, 6) == 0:
        return "0: today's"
    return corr_shock(shock)


def read_correlation_line(preset: str, offsets: str, low: float, high: float, losing_units: int) -> str:
    """Why the portfolio line of the requirement-vs-correlation chart moves or stays flat, from its lowest and
    highest maintenance (USD), the rule set's offsets setting ("correlated" | "segregated") and how many risk
    units lose money in some scenario today."""
    flat = is_zero(shown_gap(high, low))
    if offsets == "segregated":
        if flat:
            return (f"Under {preset} with segregated offsets each coin is margined on its own and the requirements "
                    f"add up, so no correlation enters the portfolio requirement: it stays at {money(high)} across "
                    "every correlation shock. Choose correlated offsets in the sidebar to see correlation at work.")
        return (f"Under {preset} with segregated offsets each coin is margined on its own; the portfolio requirement "
                f"still ranges from {money(low)} to {money(high)} along this line.")
    if flat and losing_units <= 1:
        return (f"The portfolio requirement stays at {money(high)} across every correlation shock: at most one risk "
                "unit of this book can lose money, so there is nothing for correlation to offset.")
    if flat:
        return (f"The portfolio requirement stays at {money(high)} across every correlation shock: no correlation "
                "changes this book's worst case here.")
    return (f"With correlated offsets the portfolio requirement ranges from {money(low)} to {money(high)} along this "
            "line: correlation decides how much the coins' moves offset each other.")


def read_corr_shock(shock: float) -> str:
    """The held correlation shock in words."""
    if shock <= -1:
        return "At −1 every correlation falls to 0: hedges between coins break."
    if shock >= 1:
        return "At +1 every correlation is 1: all coins move as one."
    return f"At {corr_shock(shock)}: {corr_shock_effect(shock)}."
