# Over 400 lines: the Market value and the validation that names the asset or pair of every bad input.
"""Market state: prices (USD), annualised volatilities, correlations and futures basis.

A :class:`Market` is an immutable value. Every constructor argument is validated and any problem
raises :class:`~margin.errors.PortfolioError` naming the asset (or pair) and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from margin.errors import PortfolioError
from margin.smile import FLAT, check_smile

#: Assets treated as USD stablecoins: no haircut by default, not scanned on the price grid,
#: charged the depeg add-on under portfolio margin.
STABLECOINS = frozenset({"USDC", "USDT", "DAI", "FDUSD", "USDE", "TUSD", "PYUSD", "USD"})

#: Tolerance on the smallest eigenvalue of a correlation matrix: rounding in user-typed
#: correlations (two decimals) must not make a valid matrix "invalid".
PSD_TOLERANCE = 1e-9


def is_stablecoin(asset: str) -> bool:
    """True for USD stablecoins (see :data:`STABLECOINS`)."""
    return asset.upper() in STABLECOINS


#: Two correlations of one pair (rho_ab and rho_ba, or the diagonal and 1) closer than this are
#: rounding of the same number, not two different numbers.
SYMMETRY_TOLERANCE = 1e-9

#: Guard rail against absurd prices (a typo, a price in satoshis): the same cap as positions'.
MAX_MARKET_PRICE = 1e12

#: Highest accepted annualised volatility (a fraction: 20 = 2,000 % a year).
MAX_VOL = 20.0


def _real(value: object, field: str, fix: str) -> float:
    """``value`` as a finite float, else PortfolioError naming ``field`` and the fix.

    Numbers and numeric text are accepted; booleans, containers, arrays and complex numbers are not
    (nothing is silently turned into a number it was not)."""
    if isinstance(value, (bool, np.bool_)) or getattr(value, "ndim", 0) or isinstance(value, (complex, np.complexfloating)):
        raise PortfolioError(f"{field}: must be a number (got {_show(value)}). {fix}".rstrip())
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise PortfolioError(f"{field}: must be a number (got {_show(value)}). {fix}".rstrip()) from None
    if not math.isfinite(number):
        raise PortfolioError(f"{field}: must be a finite number (got {_show(value)}). {fix}".rstrip())
    return number


def _show(value: object, limit: int = 60) -> str:
    """A short repr for messages (a pasted megabyte must not end up in an error banner)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: object) -> str:
    """'the text 'abc'', 'a set {1}': what the caller gave, for messages."""
    if isinstance(value, (str, bytes)):
        return f"the text {_show(value)}"
    return f"{type(value).__name__} {_show(value)}"


def _finite_positive(value: object, field: str, fix: str) -> float:
    number = _real(value, field, fix)
    if number <= 0:
        raise PortfolioError(f"{field}: must be a finite number above 0 (got {_show(value)}). {fix}")
    return number


def _mapping(value: object, field: str, example: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise PortfolioError(f"{field}: give a mapping asset -> number such as {example} (got {_show(value)}).")
    return value


def _rho(value: object, first: object, second: object) -> float:
    field = f"market.correlation[{first}, {second}]"
    rho = _real(value, field, "Use a number between -1 and 1.")
    if first == second:
        if abs(rho - 1.0) > SYMMETRY_TOLERANCE:
            raise PortfolioError(
                f"{field}: an asset's correlation with itself is 1 (got {_show(value)}). Put 1 on the diagonal."
            )
        return 1.0
    if abs(rho) > 1.0:
        raise PortfolioError(f"{field}: must be between -1 and 1 (got {_show(value)}).")
    return rho


def _matrix_cells(assets: list[str], correlation: object) -> dict[tuple[str, str], object]:
    """The cells of a square matrix (list of rows or 2-D array) in the order of ``assets``."""
    size = len(assets)
    order = f"a {size}x{size} matrix in the order {', '.join(assets)}"
    if isinstance(correlation, (str, bytes)) or not isinstance(correlation, (list, tuple, np.ndarray)):
        raise PortfolioError(
            "market.correlation: give pairs such as {('BTC', 'ETH'): 0.85}, a DataFrame or "
            f"{order} (got {_kind(correlation)})."
        )
    if isinstance(correlation, np.ndarray):
        if correlation.ndim != 2 or correlation.shape != (size, size):
            raise PortfolioError(f"market.correlation: expected {order}, got an array of shape {correlation.shape}.")
        rows = correlation.tolist()
    else:
        rows = list(correlation)
        if len(rows) != size:
            raise PortfolioError(f"market.correlation: expected {order}, got {len(rows)} rows.")
        for i, row in enumerate(rows):
            if isinstance(row, (str, bytes)) or not isinstance(row, (list, tuple, np.ndarray)):
                raise PortfolioError(
                    f"market.correlation: row {i} ({assets[i]}) must be a list of {size} numbers "
                    f"(got {_show(row)}); expected {order}."
                )
            if len(row) != size:
                raise PortfolioError(
                    f"market.correlation: row {i} ({assets[i]}) has {len(row)} {'entry' if len(row) == 1 else 'entries'}; "
                    f"every row needs {size} "
                    f"(rows of different lengths). Expected {order}."
                )
    return {(assets[i], assets[j]): rows[i][j] for i in range(size) for j in range(size)}


def _correlation_frame(assets: list[str], correlation: object) -> pd.DataFrame:
    """Build the full correlation matrix from pairs, a DataFrame, a 2-D array or None.

    Nothing is silently changed: the two triangles must agree (rho_ab = rho_ba) and the diagonal
    must be 1; otherwise PortfolioError names the pair and both values.
    """
    size = len(assets)
    matrix = np.eye(size)
    if correlation is None:
        return pd.DataFrame(matrix, index=assets, columns=assets)
    position = {asset: i for i, asset in enumerate(assets)}
    if isinstance(correlation, pd.DataFrame):
        for axis, labels in (("rows", correlation.index), ("columns", correlation.columns)):
            if labels.has_duplicates:
                twice = sorted({str(a) for a in labels[labels.duplicated()]})
                raise PortfolioError(f"market.correlation: {', '.join(twice)} appear{'' if len(twice) > 1 else 's'} "
                                     f"twice among the {axis}; keep one.")
        unknown = [a for a in correlation.index if a not in position]
        unknown += [a for a in correlation.columns if a not in position and a not in unknown]
        if unknown:
            raise PortfolioError(
                f"market.correlation: assets {unknown} have no price. Add their prices or remove them."
            )
        cells = {(row, col): correlation.at[row, col] for row in correlation.index for col in correlation.columns}
    elif isinstance(correlation, Mapping):
        cells = dict(correlation)
    else:
        cells = _matrix_cells(assets, correlation)
    given: dict[tuple[str, str], float] = {}
    for key, value in cells.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise PortfolioError(
                f"market.correlation: key {_show(key)} must be a pair of assets like ('BTC', 'ETH')."
            )
        first, second = key
        if not (isinstance(first, str) and isinstance(second, str)) or first not in position or second not in position:
            raise PortfolioError(
                f"market.correlation[{first}, {second}]: both assets need a price in the market "
                f"(priced: {', '.join(assets)})."
            )
        rho = _rho(value, first, second)
        mirrored = given.get((second, first))
        if mirrored is not None and abs(mirrored - rho) > SYMMETRY_TOLERANCE:
            raise PortfolioError(
                f"market.correlation: the matrix is not symmetric: {second}/{first} is {mirrored:.10g} but "
                f"{first}/{second} is {rho:.10g}; give one value per pair."
            )
        given[(first, second)] = rho
    for (first, second), rho in given.items():
        if first != second:
            i, j = position[first], position[second]
            matrix[i, j] = matrix[j, i] = rho
    return pd.DataFrame(matrix, index=assets, columns=assets)


def check_correlation_psd(frame: pd.DataFrame) -> None:
    """Raise PortfolioError if the matrix is not positive semi-definite, naming the worst assets."""
    values = frame.to_numpy()
    eigenvalues, eigenvectors = np.linalg.eigh(values)
    smallest = eigenvalues[0]
    if smallest < -PSD_TOLERANCE:
        # The assets loading most on the offending eigenvector are the ones whose pairs disagree.
        loadings = np.abs(eigenvectors[:, 0])
        culprits = [frame.index[i] for i in np.argsort(loadings)[::-1][:3]]
        raise PortfolioError(
            "market.correlation: the correlations are inconsistent with each other (the matrix is not "
            f"positive semi-definite; smallest eigenvalue {smallest:.4f}). Check the pairs among "
            f"{', '.join(culprits)}, or press 'Repair correlations' to use the nearest valid matrix."
        )


class Market:
    """Immutable market: spot prices (USD), annualised vols (fractions), correlation, basis.

    Args:
        prices: asset -> spot price in USD (> 0).
        vols: asset -> annualised volatility as a fraction (0.55 means 55 %/yr, > 0). Every priced
            asset needs one.
        correlation: None (all pairs 0), a mapping {(a, b): rho}, a DataFrame or a square array in
            the order of ``prices``. Missing pairs are 0; the diagonal is 1. Nothing is silently
            changed: a diagonal entry given must be 1, and a pair given twice (rho_ab and rho_ba,
            as in both triangles of a matrix) must carry one value (within 1e-9). Must be positive
            semi-definite.
        basis: asset -> annualised futures basis as a fraction (default 0): a dated future on the
            asset is marked at ``spot * exp(basis * expiry_days / 365)``.
        smile: asset -> (skew, curvature) of its volatility smile (default flat): an option's vol
            is ``vols[asset]`` x the smile's multiplier at its strike and expiry
            (:mod:`margin.smile`). Flat entries are the same as none.

    Example:
        >>> m = Market({"BTC": 87959.91, "ETH": 2920.5}, {"BTC": 0.55, "ETH": 0.7}, {("BTC", "ETH"): 0.85})
        >>> round(m.correlation.loc["ETH", "BTC"], 2)
        0.85
    """

    __slots__ = ("_prices", "_vols", "_correlation", "_basis", "_corr_values", "_position", "_by_assets", "_smile")

    def __init__(
        self,
        prices: Mapping[str, float],
        vols: Mapping[str, float],
        correlation: object = None,
        basis: Mapping[str, float] | None = None,
        smile: Mapping[str, object] | None = None,
    ) -> None:
        if not isinstance(prices, Mapping) or not prices:
            raise PortfolioError("market.prices: give at least one asset with its USD price, e.g. {'BTC': 88000}.")
        if not isinstance(vols, Mapping):
            raise PortfolioError("market.vols: give a mapping asset -> annualised volatility, e.g. {'BTC': 0.55}.")
        clean_prices: dict[str, float] = {}
        for asset, price in prices.items():
            if not isinstance(asset, str) or not asset:
                raise PortfolioError(f"market.prices: asset names must be text such as 'BTC' (got {_show(asset)}).")
            clean_prices[asset] = _finite_positive(
                price, f"market.prices['{asset}']", "Enter the asset's USD price, e.g. 88000."
            )
            if clean_prices[asset] > MAX_MARKET_PRICE:
                raise PortfolioError(
                    f"market.prices['{asset}']: {clean_prices[asset]:.6g} USD is above the {MAX_MARKET_PRICE:.0e} "
                    "USD this tool handles; enter the price in USD per coin."
                )
        clean_vols: dict[str, float] = {}
        for asset in clean_prices:
            if asset not in vols:
                raise PortfolioError(
                    f"market.vols['{asset}']: missing. Give an annualised volatility such as 0.6 (60 %)."
                )
            clean_vols[asset] = _finite_positive(
                vols[asset],
                f"market.vols['{asset}']",
                "Use an annualised fraction above 0, e.g. 0.6 for 60 %; use 0.01 for a stablecoin.",
            )
            if clean_vols[asset] > MAX_VOL:
                raise PortfolioError(
                    f"market.vols['{asset}']: {clean_vols[asset]:.6g} is {clean_vols[asset] * 100:.0f} % a year; "
                    f"volatility is a fraction (0.6 = 60 %). Use a value up to {MAX_VOL:g}."
                )
        extra = [a for a in vols if a not in clean_prices]
        if extra:
            raise PortfolioError(f"market.vols: {extra} have a volatility but no price. Add a price or remove them.")
        clean_basis: dict[str, float] = {}
        basis = {} if basis is None else _mapping(basis, "market.basis", "{'BTC': 0.05}")
        for asset, rate in basis.items():
            if asset not in clean_prices:
                raise PortfolioError(f"market.basis['{asset}']: the asset has no price; add its price or remove it.")
            value = _real(rate, f"market.basis['{asset}']", "Use an annualised fraction, e.g. 0.05 for 5 %.")
            if abs(value) > 5:
                raise PortfolioError(
                    f"market.basis['{asset}']: must be an annualised fraction between -5 and 5 (got {_show(rate)})."
                )
            clean_basis[asset] = value
        clean_smile: dict[str, tuple[float, float]] = {}
        smile = {} if smile is None else _mapping(smile, "market.smile", "{'BTC': {'skew': -0.1, 'curvature': 0.05}}")
        for asset, value in smile.items():
            if asset not in clean_prices:
                raise PortfolioError(f"market.smile['{asset}']: the asset has no price; add its price or remove it.")
            pair = check_smile(asset, value)
            if pair != FLAT:
                clean_smile[asset] = pair
        frame = _correlation_frame(list(clean_prices), correlation)
        check_correlation_psd(frame)
        self._prices = MappingProxyType(clean_prices)
        self._vols = MappingProxyType(clean_vols)
        self._correlation = frame
        self._corr_values = frame.to_numpy(copy=True)
        self._corr_values.setflags(write=False)
        self._position = {asset: i for i, asset in enumerate(clean_prices)}
        self._basis = MappingProxyType(clean_basis)
        self._smile = MappingProxyType(clean_smile)
        self._by_assets: dict[tuple[str, ...], tuple] = {}  # vectors per asset list (the market is immutable)

    # -- read-only views -------------------------------------------------------------------
    @property
    def prices(self) -> Mapping[str, float]:
        """asset -> spot price, USD (read-only)."""
        return self._prices

    @property
    def vols(self) -> Mapping[str, float]:
        """asset -> annualised volatility as a fraction (read-only)."""
        return self._vols

    @property
    def correlation(self) -> pd.DataFrame:
        """Correlation matrix indexed by asset on both axes (a copy: the Market cannot be mutated)."""
        return self._correlation.copy()

    @property
    def basis(self) -> Mapping[str, float]:
        """asset -> annualised futures basis as a fraction (read-only; missing means 0)."""
        return self._basis

    @property
    def smile(self) -> Mapping[str, tuple[float, float]]:
        """asset -> (skew, curvature) of its vol smile (read-only; missing means flat)."""
        return self._smile

    @property
    def assets(self) -> list[str]:
        return list(self._prices)

    def smile_array(self, assets: tuple[str, ...]) -> np.ndarray | None:
        """(A, 2) skew and curvature of ``assets``, in that order, or None when all are flat (the
        pricing paths then skip the smile altogether)."""
        if not self._smile or not any(a in self._smile for a in assets):
            return None
        key = ("smile", assets)
        found = self._by_assets.get(key)
        if found is None:
            found = np.array([self._smile.get(a, FLAT) for a in assets], dtype=float)
            found.setflags(write=False)
            self._by_assets[key] = found
        return found

    def correlation_array(self, assets: list[str]) -> np.ndarray:
        """The correlation sub-matrix for ``assets``, in that order, as a NumPy array."""
        try:
            index = [self._position[a] for a in assets]
        except (KeyError, TypeError):
            for asset in assets:
                if not isinstance(asset, str):
                    raise PortfolioError(f"assets: must be tickers such as 'BTC' (got {_show(asset)}).") from None
                self.require(asset, "assets")
            raise
        return self._corr_values[np.ix_(index, index)].copy()

    def vectors(self, assets: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(spot prices USD, annualised vols, annualised basis, correlation matrix) of ``assets``, in
        that order, as read-only arrays, computed once per asset list (every model asks for them)."""
        found = self._by_assets.get(assets)
        if found is None:
            for asset in assets:
                self.require(asset, "assets")
            index = [self._position[a] for a in assets]
            found = (np.array([self._prices[a] for a in assets], dtype=float),
                     np.array([self._vols[a] for a in assets], dtype=float),
                     np.array([self._basis.get(a, 0.0) for a in assets], dtype=float),
                     self._corr_values[np.ix_(index, index)])
            for array in found:
                array.setflags(write=False)
            self._by_assets[assets] = found
        return found

    def require(self, asset: str, field: str) -> None:
        """Raise a PortfolioError if ``asset`` has no price in this market."""
        if not isinstance(asset, str) or asset not in self._prices:
            raise PortfolioError(
                f"{field}: asset '{asset}' has no price in the market. Add it on the Build page "
                f"(market controls) or choose one of {', '.join(self._prices)}."
            )

    # -- new markets -------------------------------------------------------------------------
    def shocked(self, vol_mult: float = 1.0, corr_shock: float = 0.0) -> Market:
        """A new Market with vols × ``vol_mult`` and correlations moved by ``corr_shock``.

        ``corr_shock`` in [-1, 1]: for s > 0 every off-diagonal rho moves linearly toward +1
        (contagion: rho + s(1 - rho)); for s < 0 toward 0 (hedges break down: rho(1 + s)).
        s = -1 gives the identity, s = +1 all ones. Both are convex combinations of the current
        matrix with a PSD matrix, so a valid matrix stays valid.
        """
        mult = _finite_positive(vol_mult, "vol_mult", "Use a multiplier above 0, e.g. 2 to double volatility.")
        shock = _real(corr_shock, "corr_shock", "Use a number between -1 and 1.")
        if abs(shock) > 1:
            raise PortfolioError(f"corr_shock: must be between -1 and 1 (got {_show(corr_shock)}).")
        asset = max(self._vols, key=self._vols.__getitem__)  # the first to hit the cap
        vol = self._vols[asset]
        if vol * mult > MAX_VOL:
            raise PortfolioError(
                f"vol_mult: {mult:g} would take {asset}'s volatility from {vol:g} to {vol * mult:.4g} "
                f"({vol * mult * 100:.0f} % a year), above the {MAX_VOL:g} cap; use a multiplier up to "
                f"{MAX_VOL / vol:.4g}."
            )
        return Market(
            self._prices,
            {a: v * mult for a, v in self._vols.items()},
            shock_correlation(self._correlation, shock),
            self._basis,
            self._smile,
        )

    def with_prices(self, changes: Mapping[str, float]) -> Market:
        """A new Market with some prices replaced (USD)."""
        prices = dict(self._prices)
        prices.update(_mapping(changes, "prices", "{'BTC': 90000}"))
        return Market(prices, self._vols, self._correlation, self._basis, self._smile)

    def with_vols(self, changes: Mapping[str, float]) -> Market:
        """A new Market with some annualised vols replaced."""
        vols = dict(self._vols)
        vols.update(_mapping(changes, "vols", "{'BTC': 0.6}"))
        return Market(self._prices, vols, self._correlation, self._basis, self._smile)

    def with_correlation(self, correlation: object) -> Market:
        """A new Market with another correlation (pairs mapping, DataFrame or array)."""
        return Market(self._prices, self._vols, correlation, self._basis, self._smile)

    def with_smile(self, changes: Mapping[str, object]) -> Market:
        """A new Market with some assets' smiles replaced ((skew, curvature); (0, 0) makes one flat)."""
        smile = dict(self._smile)
        smile.update(_mapping(changes, "smile", "{'BTC': (-0.1, 0.05)}"))
        return Market(self._prices, self._vols, self._correlation, self._basis, smile)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Market):
            return NotImplemented
        return (
            dict(self._prices) == dict(other._prices)
            and dict(self._vols) == dict(other._vols)
            and dict(self._basis) == dict(other._basis)
            and dict(self._smile) == dict(other._smile)
            and self._correlation.equals(other._correlation)
        )

    def __hash__(self) -> int:
        return hash(
            (
                tuple(self._prices.items()),
                tuple(self._vols.items()),
                tuple(self._basis.items()),
                tuple(self._smile.items()),
                self._correlation.to_numpy().tobytes(),
            )
        )

    def __repr__(self) -> str:
        return f"Market(assets={self.assets})"


def shock_correlation(matrix: pd.DataFrame | np.ndarray, corr_shock: float) -> pd.DataFrame | np.ndarray:
    """Move every off-diagonal correlation toward +1 (shock > 0) or toward 0 (shock < 0), linearly.
    Returns the same type it was given (a labelled DataFrame or a bare array)."""
    is_frame = isinstance(matrix, pd.DataFrame)
    values = np.asarray(matrix.to_numpy() if is_frame else matrix, dtype=float)
    # New arrays either way: the input stays as it is.
    shocked = values + corr_shock * (1.0 - values) if corr_shock >= 0 else values * (1.0 + corr_shock)
    np.fill_diagonal(shocked, 1.0)
    return pd.DataFrame(shocked, index=matrix.index, columns=matrix.columns) if is_frame else shocked


#: Cap on Higham's iterations (each is one eigendecomposition).
MAX_HIGHAM_ITERATIONS = 10_000

#: Entries of a matrix to repair must be correlations give or take typing slips; beyond this they
#: are not a correlation table at all (and would overflow the eigendecomposition).
MAX_REPAIR_ENTRY = 1e6


def _square_matrix(matrix: object) -> np.ndarray:
    """``matrix`` (DataFrame, 2-D array or list of rows) as a square float array, or PortfolioError
    naming the first bad entry."""
    field = "nearest_correlation"
    if isinstance(matrix, pd.DataFrame):
        raw, rows, cols = matrix.to_numpy(dtype=object), list(matrix.index), list(matrix.columns)
    elif isinstance(matrix, np.ndarray):
        raw = matrix
        rows = cols = list(range(matrix.shape[0])) if matrix.ndim >= 1 else []
    elif isinstance(matrix, (list, tuple)):
        for i, row in enumerate(matrix):
            if isinstance(row, (str, bytes)) or not isinstance(row, (list, tuple, np.ndarray)):
                raise PortfolioError(f"{field}: row {i} must be a list of numbers (got {_show(row)}).")
            if len(row) != len(matrix):
                raise PortfolioError(
                    f"{field}: expected a square matrix ({len(matrix)} rows of {len(matrix)} numbers); "
                    f"row {i} has {len(row)}."
                )
        raw = np.empty((len(matrix), len(matrix)), dtype=object)
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                raw[i, j] = value
        rows = cols = list(range(len(matrix)))
    else:
        raise PortfolioError(
            f"{field}: expected a square matrix (a DataFrame, an array or a list of rows), "
            f"got {_kind(matrix)}."
        )
    if raw.ndim != 2 or raw.shape[0] != raw.shape[1]:
        raise PortfolioError(f"{field}: expected a square matrix, got shape {raw.shape}.")
    if raw.dtype.kind in "iuf":
        values = raw.astype(float)
        bad = np.argwhere(~np.isfinite(values))
        if bad.size:
            i, j = bad[0]
            raise PortfolioError(
                f"{field}: the matrix holds NaN or infinite entries ([{rows[i]}, {cols[j]}] is {values[i, j]}); "
                "fill every pair first."
            )
    else:
        values = np.empty(raw.shape)
        for (i, j), value in np.ndenumerate(raw):
            values[i, j] = _real(value, f"{field}: entry [{rows[i]}, {cols[j]}]", "Fill every pair with a number.")
    if values.size and np.abs(values).max() > MAX_REPAIR_ENTRY:
        i, j = np.unravel_index(np.abs(values).argmax(), values.shape)
        raise PortfolioError(
            f"{field}: entry [{rows[i]}, {cols[j]}] is {values[i, j]:.6g}; correlations lie between -1 and 1. "
            "Check the matrix."
        )
    return values


def nearest_correlation(
    matrix: pd.DataFrame | np.ndarray, method: str = "higham", max_iterations: int = 200, tol: float = 1e-10
) -> pd.DataFrame | np.ndarray:
    """The nearest valid correlation matrix (symmetric, unit diagonal, PSD).

    ``method="higham"``: Higham's alternating projections with Dykstra's correction (N. J. Higham,
    "Computing the nearest correlation matrix — a problem from finance", IMA J. Numer. Anal. 22,
    2002), nearest in the Frobenius norm. ``method="clip"``: eigenvalue clipping then rescaling to
    a unit diagonal (fast, not exactly nearest). Returns the same type it was given.
    """
    if not isinstance(method, str) or method not in ("higham", "clip"):
        raise PortfolioError(f"nearest_correlation: method must be 'higham' or 'clip' (got {_show(method)}).")
    if isinstance(max_iterations, (bool, np.bool_)) or not isinstance(max_iterations, (int, np.integer)) \
            or not 1 <= max_iterations <= MAX_HIGHAM_ITERATIONS:
        raise PortfolioError(
            f"nearest_correlation: max_iterations must be a whole number from 1 to {MAX_HIGHAM_ITERATIONS} "
            f"(got {_show(max_iterations)})."
        )
    tolerance = _real(tol, "nearest_correlation: tol", "Use a small positive number such as 1e-10.")
    if not 0 < tolerance < 1:
        raise PortfolioError(f"nearest_correlation: tol must be above 0 and below 1, e.g. 1e-10 (got {_show(tol)}).")
    is_frame = isinstance(matrix, pd.DataFrame)
    values = _square_matrix(matrix)
    values = (values + values.T) / 2.0
    if method == "clip":
        result = _clip_eigenvalues(values)
    elif method == "higham":
        result = _higham(values, int(max_iterations), tolerance)
    else:
        raise PortfolioError(f"nearest_correlation: method must be 'higham' or 'clip' (got {method!r}).")
    if is_frame:
        return pd.DataFrame(result, index=matrix.index, columns=matrix.columns)
    return result


def _clip_eigenvalues(values: np.ndarray, floor: float = 0.0) -> np.ndarray:
    eigenvalues, eigenvectors = np.linalg.eigh(values)
    clipped = (eigenvectors * np.maximum(eigenvalues, floor)) @ eigenvectors.T
    scale = np.sqrt(np.clip(np.diag(clipped), 1e-300, None))
    result = clipped / np.outer(scale, scale)
    np.fill_diagonal(result, 1.0)
    return np.clip((result + result.T) / 2.0, -1.0, 1.0)


def _higham(values: np.ndarray, max_iterations: int, tol: float) -> np.ndarray:
    correction = np.zeros_like(values)
    current = values.copy()
    for _ in range(max_iterations):
        shifted = current - correction
        eigenvalues, eigenvectors = np.linalg.eigh(shifted)
        psd = (eigenvectors * np.maximum(eigenvalues, 0.0)) @ eigenvectors.T
        correction = psd - shifted
        following = psd.copy()
        np.fill_diagonal(following, 1.0)
        if np.linalg.norm(following - current, "fro") <= tol * max(1.0, np.linalg.norm(current, "fro")):
            current = following
            break
        current = following
    # A final clip removes the -1e-17 eigenvalues that alternating projections leave behind.
    return _clip_eigenvalues(current, floor=0.0)
