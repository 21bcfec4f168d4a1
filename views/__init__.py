"""Pure presentation code of the dashboard: what the pages show, computed without streamlit.

Plain-language readings (``text``, ``scenario_text``), numbers derived from engine results
(``metrics``), the glossary, the share link's query format (``link``), the positions table
(``editor``), the methodology's formulas (``methodology``), the price-history panel's handler
(``history``). Views may import the engine (``margin``) and never
import streamlit (tests/test_layering.py), so each can be unit-tested on its own.
"""
