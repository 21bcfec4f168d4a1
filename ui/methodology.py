"""The Learn page's Methodology tab: draws :mod:`views.methodology`'s formulas and tables with streamlit."""

from __future__ import annotations

import streamlit as st

from margin import CrossParams, Market, Portfolio, PortfolioParams
from views import methodology


def _formulas(formulas: list[methodology.Formula]) -> None:
    for formula in formulas:
        st.markdown(f"**{formula.title}**")
        st.latex(formula.latex)
        if formula.note:
            st.caption(formula.note)


def _source(params: CrossParams | PortfolioParams) -> None:
    """The preset's document and date, then each simplification on a line of its own."""
    if not params.source:
        st.markdown("**Source** · custom rule set")
        return
    follows, simplifications = methodology.source_parts(params.source)
    st.markdown(f"**Source** · {follows}")
    if simplifications:
        st.markdown("**Simplifications**\n" + "\n".join(f"- {item}" for item in simplifications))


def render(cross: CrossParams, portfolio: PortfolioParams, book: Portfolio | None = None,
           market: Market | None = None) -> None:
    """Draw both models' formulas with the given (active) rule sets, their tables, sources and limits."""
    st.markdown("Every number below is read from the engine's active rule sets (chosen in the sidebar), "
                "so the formulas always match the requirements on the other pages.")
    cross_area, portfolio_area = st.container(), st.container()
    with cross_area:
        st.subheader(f"Cross margin · {cross.title}", anchor="cross-formulas")
        _formulas(methodology.cross_formulas(cross))
        st.markdown("**Maintenance tiers**")
        st.dataframe(methodology.tier_table(cross), hide_index=True, width="stretch", height=280,
                     column_config={"from notional (USD)": st.column_config.NumberColumn(format="dollar"),
                                    "deduction (USD)": st.column_config.NumberColumn(format="dollar"),
                                    "maintenance rate (%)": st.column_config.NumberColumn(format="%.4g"),
                                    "max leverage (×)": st.column_config.NumberColumn(format="%.4g")})
        _source(cross)
    with portfolio_area:
        st.divider()
        st.subheader(f"Portfolio margin · {portfolio.title} · {portfolio.offsets} offsets", anchor="portfolio-formulas")
        _formulas(methodology.portfolio_formulas(portfolio))
        if book is not None and market is not None:
            table = methodology.range_table(portfolio, book, market)
            if not table.empty:
                st.markdown("**Scan ranges of your book today**")
                st.dataframe(table, hide_index=True, width="stretch",
                             column_config={c: st.column_config.NumberColumn(format="%.1f")
                                            for c in table.columns if c != "risk unit"})
        _source(portfolio)
    with st.container(border=True):
        st.subheader("Limitations", anchor="limitations")
        st.markdown("\n".join(f"- {item}" for item in methodology.LIMITATIONS))
