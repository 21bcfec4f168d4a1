"""The dashboard opened in Streamlit's AppTest, as the page tests start from it (the Build page, the default
sample), shared by their ``app`` fixtures."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def opened_app(timeout: float = 60) -> AppTest:
    """app.py after its first run, which raised nothing."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    assert not at.exception
    return at


def typed_into_last_row(at: AppTest, cells: dict) -> None:
    """Type ``cells`` into the positions table's blank last row (views.editor.table_frame), as a viewer would:
    the widget's state holds them as an edit of that row, for the page's next run."""
    ws = at.session_state["workspace"]
    at.session_state[f"positions_{ws.editors.positions}"] = {
        "edited_rows": {str(len(ws.base.positions)): cells}, "added_rows": [], "deleted_rows": []}


def table_positions(at: AppTest):
    """The positions table's rows as the page drew them, without its blank last row."""
    table = at.data_editor[0].value
    assert table.iloc[-1].drop("remove").isna().all(), "the table's last row is not blank"
    return table.iloc[:-1]
