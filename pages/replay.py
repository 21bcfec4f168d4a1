"""Replay: the book walked day by day through a real crash (or any daily price history)."""

import streamlit as st

from ui import page
from ui import replay as replay_panel

slot = page.begin()
st.title("A crash, day by day")
st.caption("Replay the book through real daily closes: each day prices move by that day's returns from today's "
           "prices, volatility follows the closes (EWMA), and both modes ask for margin again. The account is "
           "liquidated on the first day equity falls below a mode's maintenance.")
replay_panel.draw()
page.end(slot)
