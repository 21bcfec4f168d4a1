"""The greeks sentence (views.workbench.read_greeks) says what the numbers beside it say: the dollar delta
rises with long gamma and falls with short gamma, from its value to that value plus the 1 % gamma, and is
"larger" or "smaller in size" only when it keeps its sign and its size moves that way. (It once said a
dollar delta of -$8,544 "shrinks" when a 1 % rise takes it to -$14,366.)"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings

from margin import Portfolio
from margin.greeks import book_greeks
from tests.books import MARKET, positions
from views.samples import load_sample, sample_names
from views.text import is_zero, money
from views.workbench import read_greeks


def _check(book, market) -> None:
    greeks = book_greeks(book, market)
    sentence = read_greeks(greeks)
    before, gamma = greeks.book["delta_usd"], greeks.book["gamma_usd_1pct"]
    if greeks.units.empty or is_zero(gamma):
        assert "dollar delta" not in sentence
        return
    after = before + gamma
    verb = "rises" if gamma > 0 else "falls"
    assert (f"its dollar delta {verb} by about {money(abs(gamma))} ({'long' if gamma > 0 else 'short'} gamma), "
            f"from {money(before)} to about {money(after)}") in sentence
    size = re.search(r"(larger|smaller) in size", sentence)
    if before * after <= 0 or is_zero(abs(after) - abs(before)):
        assert size is None
    else:
        assert size is not None and size.group(1) == ("larger" if abs(after) > abs(before) else "smaller")


@pytest.mark.parametrize("name", sample_names())
def test_the_greeks_sentence_on_every_sample(name):
    book, market = load_sample(name)
    _check(book, market)


def test_the_short_strangle_reads_falls_and_larger_in_size():
    book, market = load_sample("05_short_strangle.json")
    sentence = read_greeks(book_greeks(book, market))
    assert "falls by about" in sentence and "larger in size" in sentence and "shrinks" not in sentence


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(positions(6))
def test_the_greeks_sentence_on_random_books(items):
    _check(Portfolio(items, {"USDT": 10_000}), MARKET)
