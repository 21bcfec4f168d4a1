"""Plotly figures of the dashboard, pure: engine results and DataFrames in, ``go.Figure`` out.

``style`` is the one style (colours, fonts, template, margins, presenter scaling); one module per
page's figures: ``compare``, ``liquidation``, ``shocks``, and ``history`` (the Build page's market
data). Charts never import streamlit and never call the engine (tests/test_layering.py).
"""
