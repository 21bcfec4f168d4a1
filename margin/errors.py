"""The one exception the engine raises for bad input."""


class PortfolioError(ValueError):
    """Invalid portfolio, market or parameter input.

    The message always names the offending field (e.g. ``positions[2].strike`` or
    ``market.vols['BTC']``) and says how to fix it, so the app can show it verbatim.
    """
