"""A small three-coin market and random books on it, shared by the engine's property tests."""

from hypothesis import strategies as st

from margin import Future, Market, Option, Perp, Spot

MARKET = Market({"BTC": 88_000.0, "ETH": 2_900.0, "SOL": 138.0, "USDT": 1.0},
                {"BTC": 0.55, "ETH": 0.7, "SOL": 0.85, "USDT": 0.01},
                {("BTC", "ETH"): 0.85, ("BTC", "SOL"): 0.7, ("ETH", "SOL"): 0.6}, {"BTC": 0.05})


def positions(max_size: int) -> st.SearchStrategy:
    """Lists of 1 to ``max_size`` perps, futures, options and spot holdings (stablecoin included) on MARKET."""
    return st.lists(st.one_of(
        st.builds(Perp, st.sampled_from(["BTC", "ETH", "SOL"]), st.floats(-20, 20), st.floats(50, 1e5)),
        st.builds(Future, st.just("BTC"), st.floats(-3, 3), st.floats(5e4, 1e5), st.floats(0, 200)),
        st.builds(Option, st.sampled_from(["BTC", "ETH", "SOL"]), st.sampled_from(["call", "put"]),
                  st.sampled_from([100.0, 2_500.0, 80_000.0, 95_000.0, 140.0]), st.floats(0, 90), st.floats(-5, 5)),
        st.builds(Spot, st.sampled_from(["BTC", "SOL", "USDT"]), st.floats(-10, 1e4)),
    ), min_size=1, max_size=max_size)
