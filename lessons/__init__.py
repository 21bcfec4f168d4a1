"""The guided lessons of the Learn page, pure (no streamlit).

``framework`` defines a lesson (steps, a control, questions checked by the engine) and how answers are
checked; ``claims`` backs the teaching texts' comparisons with predicates over engine results, and
``stories`` holds the sample books' claims; one module per lesson (``contagion``, ``hedge``,
``vol_jump``, ``correlation``, ``slow_bleed``, ``haircuts``, ``binance``, ``diversification``,
``costs_more``); ``catalogue`` lists them in order. A new lesson: a module here, added to the catalogue.
"""
