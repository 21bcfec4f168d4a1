"""Streamlit glue of the Margin Lab dashboard.

``state`` holds the one session object, ``cached`` wraps engine calls, ``sidebar`` draws the shared
sidebar. ``text``, ``metrics`` and ``editor`` are pure (no streamlit) so they can be unit-tested.
"""
