"""Black-76 option prices and greeks, vectorised over NumPy arrays.

Black (1976), "The pricing of commodity contracts", J. Financial Economics 3: a European option
on a forward F with strike K, volatility sigma (annualised fraction), time t (years) and rate r:

    call = exp(-r t) [F N(d1) - K N(d2)],   put = exp(-r t) [K N(-d2) - F N(-d1)],
    d1 = [ln(F/K) + sigma^2 t / 2] / (sigma sqrt(t)),   d2 = d1 - sigma sqrt(t).

Crypto options are priced on the spot price with r = 0 (the convention of docs/model.md), which is
Black-76 with F = S. Black-Scholes on a non-dividend stock is Black-76 with F = S exp(r t): see
:func:`black_scholes_price` (used to check against Hull's textbook example 15.6).

Every function broadcasts its arguments; ``is_call`` is a boolean array or scalar. At t = 0 or
sigma = 0 the price is the discounted intrinsic value on the forward. :class:`Black76Revaluer` is
the scenario revaluation's kernel: the same price, with each option's constants computed once for
thousands of forwards.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

_TINY = 1e-12


def _d1_d2(forward, strike, vol, years):
    # No np.broadcast_arrays: the arithmetic broadcasts by itself, and the revaluation grids pass
    # (options, moves, 1) forwards against (options, 1, 3) vols, where materialising costs more than it saves.
    forward, strike, vol, years = (np.asarray(x, dtype=float) for x in (forward, strike, vol, years))
    total_vol = vol * np.sqrt(np.maximum(years, 0.0))
    live = total_vol > _TINY
    # A forward of zero (a price gone to nothing) counts as a tiny fraction of the strike: the log
    # stays finite and the price is the intrinsic value, whatever the scale of the coin's price.
    log_moneyness = np.log(np.maximum(forward, _TINY * strike) / strike)
    if live.all():
        d1 = log_moneyness / total_vol + 0.5 * total_vol
        return forward, strike, total_vol, live, d1, d1 - total_vol
    safe_total = np.where(live, total_vol, 1.0)
    d1 = np.where(live, log_moneyness / safe_total + 0.5 * safe_total, 0.0)
    d2 = d1 - np.where(live, total_vol, 0.0)
    return forward, strike, total_vol, live, d1, d2


def black76_price(forward, strike, vol, years, is_call, rate: float = 0.0):
    """Black-76 price per unit of underlying, in the currency of ``forward`` (USD here).

    Args:
        forward: forward price (USD); the spot price for crypto options with r = 0.
        strike: strike (USD).
        vol: annualised volatility, fraction.
        years: time to expiry in years (expiry_days / 365).
        is_call: True for calls, False for puts.
        rate: continuously compounded annual rate used for discounting (default 0).

    Calls and puts share one formula, w [F N(w d1) - K N(w d2)] with w = +1 or -1, so each
    price costs two normal CDFs.
    """
    forward, strike, total_vol, live, d1, d2 = _d1_d2(forward, strike, vol, years)
    sign = np.where(np.asarray(is_call, dtype=bool), 1.0, -1.0)
    price = sign * (forward * ndtr(sign * d1) - strike * ndtr(sign * d2))
    if not live.all():
        price = np.where(live, price, np.maximum(sign * (forward - strike), 0.0))
    discount = np.exp(-rate * np.maximum(np.asarray(years, dtype=float), 0.0)) if rate else 1.0
    # Round-off can make a deep out-of-the-money live price -1e-12: prices are never negative.
    return discount * np.maximum(price, 0.0)


class Black76Revaluer:
    """Black-76 prices of n options at many forwards each, in three vol states, weighted by quantity.

    A scenario revaluation prices the same options at thousands of forwards, so everything that
    does not depend on the forward is computed once here: the log strike, each vol state's total
    volatility s = vol sqrt(years) and its inverse, with the call/put sign w (+1 call, -1 put)
    folded in. Then, per price, only

        q x price = (q w) F N(w d1) - (q w K) N(w d2),   w d1 = (ln F - ln K) (w / s) + w s / 2,   w d2 = w d1 - w s

    is left: two normal CDFs and five array operations (a weight q costs nothing per price). It
    equals ``q * black76_price`` (r = 0) to round-off, except that a deep out-of-the-money price is
    not floored at zero (its round-off is a few 1e-12 USD). Options at expiry or with zero vol
    (s = 0) have no such form: ``live`` is False and callers fall back to :func:`black76_price`.

    Args (one entry per option): strike (USD), years to expiry, is_call (bool), vols (n, 3)
    annualised vol per state.
    """

    def __init__(self, strike, years, is_call, vols) -> None:
        sign = np.where(np.asarray(is_call, dtype=bool), 1.0, -1.0)[:, None]
        total_vol = np.asarray(vols, dtype=float) * np.sqrt(np.maximum(np.asarray(years, dtype=float), 0.0))[:, None]
        self.live = bool((total_vol > _TINY).all())
        if not self.live:
            return
        strike = np.asarray(strike, dtype=float)[:, None]
        self._log_strike, self._sign, self._signed_strike = np.log(strike), sign, (sign * strike)[:, None]
        signed_total = sign * total_vol
        self._signed_inverse = (sign / total_vol)[:, None, :]
        self._signed_half = (0.5 * signed_total)[:, None, :]
        self._signed_total = signed_total[:, None, :]

    def value(self, options: slice, forward: np.ndarray, log_forward: np.ndarray, weight: np.ndarray | None = None
              ) -> np.ndarray:
        """Price x weight (USD per unit x weight), shape (b, D, 3), of the options ``options`` (a
        slice of b of them), option i at the D forwards ``forward[i]`` (USD) whose logs are
        ``log_forward[i]``; ``weight`` (b,), e.g. contracts held, or None for prices per unit."""
        forward_weight, strike_weight = self._sign[options], self._signed_strike[options]
        if weight is not None:
            forward_weight, strike_weight = forward_weight * weight[:, None], strike_weight * weight[:, None, None]
        d1 = (log_forward - self._log_strike[options])[..., None] * self._signed_inverse[options]
        d1 += self._signed_half[options]
        d2 = d1 - self._signed_total[options]
        value = ndtr(d1, out=d1)
        value *= (forward * forward_weight)[..., None]
        far = ndtr(d2, out=d2)
        far *= strike_weight
        value -= far
        return value

    def marks(self, forward: np.ndarray) -> np.ndarray:
        """Each option's price per unit (USD) at its forward ``forward`` (n,), in the middle vol
        state; never negative, as :func:`black76_price`."""
        forward = np.asarray(forward, dtype=float)[:, None]
        return np.maximum(self.value(slice(None), forward, np.log(forward))[:, 0, 1], 0.0)

    def marks_and_deltas(self, forward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each option's price (USD) and delta dPrice/dForward, per unit, at its forward ``forward``
        (n,) in the middle vol state: the delta w N(w d1) shares the price's first CDF."""
        forward = np.asarray(forward, dtype=float)
        sign = self._sign[:, 0]
        d1 = (np.log(forward) - self._log_strike[:, 0]) * self._signed_inverse[:, 0, 1] + self._signed_half[:, 0, 1]
        near = ndtr(d1)
        far = ndtr(d1 - self._signed_total[:, 0, 1])
        price = sign * forward * near - self._signed_strike[:, 0, 0] * far
        return np.maximum(price, 0.0), sign * near


def black76_delta(forward, strike, vol, years, is_call, rate: float = 0.0):
    """dPrice/dForward (per unit): exp(-rt) N(d1) for calls, exp(-rt) (N(d1) - 1) for puts."""
    forward, strike, total_vol, live, d1, _ = _d1_d2(forward, strike, vol, years)
    call_flag = np.asarray(is_call, dtype=bool)
    discount = np.exp(-rate * np.maximum(np.asarray(years, dtype=float), 0.0))
    n_d1 = np.where(live, ndtr(d1), (forward > strike).astype(float))
    return discount * np.where(call_flag, n_d1, n_d1 - 1.0)


def black76_gamma(forward, strike, vol, years, rate: float = 0.0):
    """d2Price/dForward2 (per unit), the same for calls and puts; 0 at expiry."""
    forward, strike, total_vol, live, d1, _ = _d1_d2(forward, strike, vol, years)
    discount = np.exp(-rate * np.maximum(np.asarray(years, dtype=float), 0.0))
    density = np.exp(-0.5 * d1**2) / np.sqrt(2 * np.pi)
    safe = np.where(live, forward * total_vol, 1.0)
    return np.where(live, discount * density / safe, 0.0)


def black76_vega(forward, strike, vol, years, rate: float = 0.0):
    """dPrice/dVol per unit of volatility (multiply by 0.01 for one vol point), USD."""
    forward, strike, total_vol, live, d1, _ = _d1_d2(forward, strike, vol, years)
    discount = np.exp(-rate * np.maximum(np.asarray(years, dtype=float), 0.0))
    density = np.exp(-0.5 * d1**2) / np.sqrt(2 * np.pi)
    root_t = np.sqrt(np.maximum(np.asarray(years, dtype=float), 0.0))
    return np.where(live, discount * forward * density * root_t, 0.0)


def black76_theta(forward, strike, vol, years, is_call, rate: float = 0.0):
    """dPrice/dt per year of calendar time passing (negative for long options), USD."""
    forward, strike, total_vol, live, d1, d2 = _d1_d2(forward, strike, vol, years)
    years_arr = np.asarray(years, dtype=float)
    vol_arr = np.asarray(vol, dtype=float)
    discount = np.exp(-rate * np.maximum(years_arr, 0.0))
    density = np.exp(-0.5 * d1**2) / np.sqrt(2 * np.pi)
    root_t = np.sqrt(np.where(live, years_arr, 1.0))
    decay = -discount * forward * density * vol_arr / (2 * root_t)
    price = black76_price(forward, strike, vol, years, is_call, rate)
    return np.where(live, decay + rate * price, 0.0)


def black_scholes_price(spot, strike, vol, years, is_call, rate: float = 0.0):
    """Black-Scholes price of a European option on a non-dividend asset: Black-76 with F = S e^{rt}.

    Hull, *Options, Futures and Other Derivatives*, Example 15.6: S = 42, K = 40, r = 0.10,
    sigma = 0.20, T = 0.5 gives call 4.76 and put 0.81.
    """
    years_arr = np.asarray(years, dtype=float)
    forward = np.asarray(spot, dtype=float) * np.exp(rate * years_arr)
    return black76_price(forward, strike, vol, years, is_call, rate)
