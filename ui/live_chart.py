"""Plotly charts that update in place: a small Streamlit component around plotly.js's ``Plotly.react``.

Why not ``st.plotly_chart``: Streamlit 1.67 derives a plotly chart's element id from its figure even
when it has a key, so every changed figure is a new element, purged and drawn from scratch by
``Plotly.newPlot`` (with React's unmount and mount around it). A slider that changes a chart paid that
on every move. This component keeps one element per key (a custom component's id is its key) and
hands each new figure to ``Plotly.react``, which updates the drawn chart: the axes, the legend and
the DOM stay, only what changed is redrawn, and a zoom the viewer made survives a slider move on both
axes (dropped when the chart's title or axis titles change, e.g. another asset).
Measured in chromium (docs/performance.md): the one-chart minimal app's slider draws in 0.085 s with
``st.plotly_chart`` and 0.062 s with this component.

plotly.js is plotly's own *cartesian* bundle (npm ``plotly.js-cartesian-dist-min``, MIT licence,
``ui/assets/plotly-cartesian.min.js``): the trace types :data:`BUNDLE_TRACES`, which hold every chart of
the app (scatter, bar, heatmap), in 1.5 MB instead of the full bundle's 4.8 MB. A fresh browser loads
and compiles it in ~0.46 s against ~1.0 s for the full one (docs/performance.md), on every first visit
of a chart page. It is the version of plotly.js the plotly Python package ships (the figures are built
with that package; tests/test_live_chart.py fails when the two part). It is copied once into ``static/``
and served by Streamlit's static file serving (``server.enableStaticServing`` in .streamlit/config.toml,
at ``app/static/``); a page loads it once, from the top of a chart page's run (:func:`preload`, called
by app.py) or when its first chart mounts. Nothing is fetched from the internet, and the toolbar has no
"Share chart" (an upload to Plotly's cloud); it has a full-screen button. The JavaScript is in
``ui/assets/``.

Theme: like Streamlit's chart theme, the component swaps the figure's template colours for the
page's in the browser (the page's background, text colour and font, grid lines in a
faint shade of that colour, hover labels on the page's background), so a figure fixes no background
or text colour (see :mod:`charts.style`) and follows a switch between the light and dark themes at
once, without a rerun.

Where the file cannot be served (no ``static/`` folder could be written, static serving off, a test
without a server) :func:`draw` falls back to ``st.plotly_chart`` with Streamlit's theme.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
from functools import cache
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
#: Streamlit serves this folder (next to app.py) at ``app/static/`` when static serving is on.
STATIC_DIR = ROOT / "static"
PLOTLY_FILE = "plotly-cartesian.min.js"
COMPONENT_NAME = "margin_lab_chart"
#: The CSS class of the element each chart is drawn in (plotly adds ``js-plotly-plot`` to it).
CHART_CLASS = "ml-chart"
#: Plotly's config for every chart: no plotly logo (the component follows its column's width itself and
#: trims the toolbar: ui/assets/live_chart.js).
BASE_CONFIG = {"displaylogo": False}

ASSETS = Path(__file__).resolve().parent / "assets"
#: The plotly.js bundle served to the browser (see the module docstring) and its version, from its header.
PLOTLY_SOURCE = ASSETS / PLOTLY_FILE
BUNDLE_VERSION = re.search(r"plotly\.js \(cartesian - minified\) v(\S+)", PLOTLY_SOURCE.read_text()[:400]).group(1)
#: The trace types the bundle draws (its README): a chart of any other type would draw nothing.
BUNDLE_TRACES = ("bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour", "image", "pie",
                 "scatter", "scatterternary", "violin")
#: Defines ``window.__marginLabLoadPlotly()``: plotly.js once per page (the component and :func:`preload`).
_LOADER_JS = (ASSETS / "plotly_loader.js").read_text()
#: The component: one element per key, each new figure handed to ``Plotly.react``.
_JS = _LOADER_JS + (ASSETS / "live_chart.js").read_text()


def available() -> bool:
    """True when the page can load plotly.js from this app's static folder (copied there if needed)."""
    return _static_serving() and _plotly_js_in_place()


def _static_serving() -> bool:
    try:
        return bool(st.get_option("server.enableStaticServing"))
    except Exception:  # noqa: BLE001 - an unknown option in a future Streamlit: use st.plotly_chart
        return False


@cache
def _plotly_js_in_place() -> bool:
    """Copy the plotly.js bundle into ``static/`` (once a process; again when the bundle changes)."""
    source = PLOTLY_SOURCE
    target = STATIC_DIR / PLOTLY_FILE
    try:
        if not target.exists() or not filecmp.cmp(source, target, shallow=False):
            STATIC_DIR.mkdir(exist_ok=True)
            # A name of this process's own: replicas starting together each write theirs, and the rename is
            # atomic, so a server reading the file never sees half of it.
            partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
            shutil.copyfile(source, partial)
            partial.replace(target)
        return True
    except OSError:
        return False


def _filled(script: str) -> str:
    return (script.replace("__VERSION__", BUNDLE_VERSION).replace("__CHART_CLASS__", CHART_CLASS)
            .replace("__FILE__", PLOTLY_FILE))


#: Hides its own element (a script element would otherwise leave a gap in the page's column).
_PRELOAD_HTML = ("<style>[data-testid='stElementContainer']:has(script[data-margin-lab-preload]) {display: none}</style>"
                 "<script data-margin-lab-preload>" + _LOADER_JS + "window.__marginLabLoadPlotly();</script>")


def preload() -> None:
    """Start loading plotly.js at once: called at the top of a page whose charts come later in its run.

    The first chart's data reaches the browser only after the page's engine work (a fraction of a
    second on a first visit); plotly.js (4.8 MB) is fetched and compiled meanwhile instead of after it.
    """
    if available():
        st.html(_filled(_PRELOAD_HTML), unsafe_allow_javascript=True)


@cache
def _component():
    script = _filled(_JS)
    # isolate_styles=False: plotly.js puts its styles (modebar, hover labels) in the document's head,
    # which a shadow root would not see.
    return st.components.v2.component(COMPONENT_NAME, js=script, isolate_styles=False)


def draw(spec: dict, key: str, config: dict | None = None) -> None:
    """Draw ``spec`` (a plotly figure as a dict) under ``key``; the same key updates the drawn chart."""
    config = {**BASE_CONFIG, **(config or {})}
    if not available():
        st.plotly_chart(_trusted_figure(spec), theme="streamlit", key=key, config=config)
        return
    _component()(key=key, data={"spec": pio.to_json(spec, validate=False), "config": config, "key": key},
                 width="stretch", height="content")


def _trusted_figure(spec: dict) -> go.Figure:
    """A Figure around a spec that plotly already validated when the chart was built.

    st.plotly_chart validates a dict again property by property (~15 ms a chart); a Figure it only
    serialises. ``_validate`` is plotly's own switch for this (tests/test_streamlit_switches.py checks
    it); without it, validate as usual.
    """
    try:
        return go.Figure(spec, _validate=False)
    except TypeError:  # pragma: no cover - a plotly without the switch
        return go.Figure(spec)

