"""The floor for app timings: one slider, one Plotly chart, nothing else (benchmarks/app.py)."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

amplitude = st.slider("Amplitude", 1, 100, 10)
x = np.linspace(0, 10, 200)
st.plotly_chart(go.Figure(go.Scatter(x=x, y=amplitude * np.sin(x))))
st.metric("Amplitude", amplitude)
