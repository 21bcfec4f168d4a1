"""The Streamlit layer of the dashboard: every module here imports streamlit.

``state`` holds the one session object (the workspace); ``engine_cache`` wraps every engine call in
st.cache_data and ``figures`` the pages' cached figures; ``page`` is what every page does first and
last (and how it shows an error, ``page.safe``); ``sidebar`` draws the shared sidebar;
``history_panel`` and ``methodology`` draw the Build page's market data and the Learn page's
formulas. Pure presentation code is in ``views/``, figures in ``charts/``.
"""
