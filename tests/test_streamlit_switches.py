"""The private switches and recent APIs the app relies on exist, as the app uses them, in the installed
Streamlit and plotly: an upgrade that removes or renames one fails here, by name, before a page does.

- ``ui.page._trusted_figure``: ``go.Figure(spec, _validate=False)``, plotly's switch that skips a
  second validation of a spec it already built;
- ``ui.page._leave_folder_mode``: ``streamlit.runtime.pages_manager.PagesManager.uses_pages_directory``,
  the class flag of the legacy pages-folder mode, cleared to run the app's own navigation;
- ``ui.page``: ``streamlit.delta_generator.DeltaGenerator`` (the sidebar slot's type);
- the share links read ``st.context.url``;
- panels drawn only while open: ``st.expander(key=, on_change="rerun")`` and ``st.tabs(key=,
  on_change="rerun")`` and their ``.open``;
- ``st.metric(delta_arrow=...)``, ``st.data_editor(placeholder=...)``, ``st.plotly_chart(theme=, config=)``,
  ``st.html`` for the page's CSS;
- ``runner.magicEnabled = false`` in .streamlit/config.toml: no page shows a bare expression by magic.
"""

from __future__ import annotations

import ast
import inspect

import plotly.graph_objects as go
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest


def test_plotly_figures_can_skip_validation():
    spec = {"data": [{"type": "bar", "x": ["a"], "y": "not a list"}], "layout": {"height": 300}}
    with pytest.raises(ValueError):
        go.Figure(spec)  # every value validated, as usual
    figure = go.Figure(spec, _validate=False)  # values taken as they are: the app's specs were validated once
    assert figure._validate is False
    assert figure.to_dict()["data"][0]["y"] == "not a list" and figure.to_dict()["layout"]["height"] == 300


def test_the_legacy_pages_folder_flag_is_a_class_attribute_of_the_pages_manager():
    from streamlit.runtime.pages_manager import PagesManager

    assert "uses_pages_directory" in vars(PagesManager)
    assert vars(PagesManager)["uses_pages_directory"] in (None, True, False)


def test_the_types_and_properties_the_pages_use_exist():
    from streamlit.delta_generator import DeltaGenerator

    assert isinstance(st.sidebar, DeltaGenerator)
    assert isinstance(inspect.getattr_static(type(st.context), "url"), property)


@pytest.mark.parametrize(("command", "parameters"), [
    (st.expander, {"key", "on_change"}),
    (st.tabs, {"key", "on_change"}),
    (st.metric, {"delta_arrow", "border", "delta_color", "help"}),
    (st.data_editor, {"placeholder", "num_rows", "hide_index", "column_config", "key"}),
    (st.plotly_chart, {"theme", "key", "config"}),
    (st.html, {"body"}),
    (st.navigation, {"pages", "position"}),
    (st.switch_page, {"page", "query_params"}),
    (st.select_slider, {"format_func", "key"}),
])
def test_the_commands_take_the_arguments_the_pages_pass(command, parameters):
    assert parameters <= set(inspect.signature(command).parameters), command.__name__


def _open_panels() -> None:
    import streamlit as st

    folded = st.expander("Folded", key="folded", on_change="rerun")
    st.session_state["folded_open"] = folded.open
    first, second = st.tabs(["One", "Two"], key="tab", on_change="rerun")
    st.session_state["tabs_open"] = (first.open, second.open)


def test_expanders_and_tabs_say_whether_they_are_open():
    at = AppTest.from_function(_open_panels).run()
    assert not at.exception
    assert at.session_state["folded_open"] in (False, None)
    assert at.session_state["tabs_open"] == (True, False)
    at.session_state["folded"] = True
    at.session_state["tab"] = "Two"
    at.run()
    assert at.session_state["folded_open"] is True and at.session_state["tabs_open"] == (False, True)


def test_no_page_relies_on_magic_which_the_config_turns_off():
    """``runner.magicEnabled = false`` (.streamlit/config.toml) skips Streamlit's rewrite of each page's syntax
    tree; a page that shows a bare expression by magic would lose it. Magic rewrites exactly those."""
    import tomllib
    from pathlib import Path

    from streamlit.runtime.scriptrunner import magic

    root = Path(__file__).resolve().parents[1]
    assert tomllib.loads((root / ".streamlit" / "config.toml").read_text())["runner"]["magicEnabled"] is False
    for path in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
        rewritten = ast.unparse(magic.add_magic(path.read_text(), str(path)))
        assert "__streamlitmagic__." not in rewritten, f"{path.name} shows a bare expression by magic"
