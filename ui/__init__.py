"""The Streamlit layer of the dashboard: every module here imports streamlit.

``state`` holds the one session object (the workspace), ``cached`` wraps engine calls in
st.cache_data, ``page`` is what every page does first and last, ``sidebar`` draws the shared
sidebar, ``history_panel`` and ``methodology`` draw the Build page's market data and the Learn page's
formulas. Pure presentation code is in ``views/``.
"""
