// The chart component of ui/live_chart.py: one element per key, each new figure handed to Plotly.react.
const CHART_CLASS = "__CHART_CLASS__";
const loadPlotly = window.__marginLabLoadPlotly;
// Plotly's own toolbar, less what these charts cannot use or must not do: box and lasso selection,
// and the "Share chart" button, which uploads the figure to Plotly's cloud.
const REMOVED_BUTTONS = ["select2d", "lasso2d", "sendChartToCloud", "sendDataToCloud", "downloadJson"];
const FULL_SCREEN_ICON = {width: 16, height: 16,
  path: "M0 0h6v2H2v4H0zM10 0h6v6h-2V2h-4zM0 10h2v4h4v2H0zM14 10h2v6h-6v-2h4z"};

function rgba(color, alpha) {
  const parts = (color.match(/[\d.]+/g) || []).slice(0, 3);
  return parts.length === 3 ? `rgba(${parts[0]},${parts[1]},${parts[2]},${alpha})` : color;
}

// The page's colours and font where the chart stands (they change with the light/dark theme).
function themeAt(element) {
  const css = getComputedStyle(element);
  const background = css.getPropertyValue("--st-background-color").trim() || "#ffffff";
  return {text: css.color, background, font: css.fontFamily, key: css.color + "|" + background + "|" + css.fontFamily};
}

// The figure's template with the page's colours, as Streamlit's chart theme did: the figure's own
// settings still win over these. Titles bold and flush left; no vertical grid lines or zero line.
function withTheme(layout, theme) {
  const template = layout.template || {};
  const own = template.layout || {};
  const faint = rgba(theme.text, 0.12);
  const axis = (given, extra) => Object.assign({}, given || {}, {
    gridcolor: faint, zerolinecolor: rgba(theme.text, 0.3), linecolor: rgba(theme.text, 0.3),
    tickcolor: rgba(theme.text, 0.3)}, extra);
  const themed = Object.assign({}, own, {
    paper_bgcolor: theme.background,
    plot_bgcolor: theme.background,
    font: Object.assign({}, own.font || {}, {color: theme.text, family: theme.font}),
    title: Object.assign({}, own.title || {}, {x: 0, xanchor: "left", pad: {l: 4},
                                               font: Object.assign({}, (own.title || {}).font || {}, {weight: 700})}),
    xaxis: axis(own.xaxis, {showgrid: false, zeroline: false}),
    yaxis: axis(own.yaxis, {}),
    hoverlabel: Object.assign({}, own.hoverlabel || {}, {bgcolor: theme.background, bordercolor: faint,
                                                         font: {color: theme.text, family: theme.font}}),
    legend: Object.assign({}, own.legend || {}, {bgcolor: "rgba(0,0,0,0)"}),
  });
  return Object.assign({}, layout, {template: Object.assign({}, template, {layout: themed})});
}

// What the chart shows (its title and axis titles): a viewer's zoom is kept while this stays the same
// (a slider move) and dropped when it changes (another asset, another page's figure under the key).
function subjectOf(figure) {
  const layout = figure.layout || {};
  const text = (title) => (title && (typeof title === "string" ? title : title.text)) || "";
  return [text(layout.title), text((layout.xaxis || {}).title), text((layout.yaxis || {}).title)].join("|");
}

// The viewer's zoom on both axes, written over the new figure's ranges.
function withZoom(layout, zoom) {
  const out = Object.assign({}, layout);
  for (const [axis, range] of Object.entries(zoom || {})) {
    out[axis] = Object.assign({}, out[axis] || {}, {range: range.slice(), autorange: false});
  }
  return out;
}

// Keeps state.zoom: the axis ranges the viewer set by dragging or the toolbar; an axis reset
// (double-click, "Reset axes", "Autoscale") drops that axis's zoom.
function zoomAfter(box, event) {
  const state = box.__marginLab;
  const zoom = Object.assign({}, state.zoom || {});
  for (const [key, value] of Object.entries(event)) {
    let match = key.match(/^([xy]axis\d*)\.range\[([01])\]$/);
    if (match) {
      const range = (zoom[match[1]] || (box.layout[match[1]] || {}).range || [null, null]).slice();
      range[Number(match[2])] = value;
      zoom[match[1]] = range;
      continue;
    }
    match = key.match(/^([xy]axis\d*)\.range$/);
    if (match && Array.isArray(value)) { zoom[match[1]] = value.slice(); continue; }
    match = key.match(/^([xy]axis\d*)\.autorange$/);
    if (match && value) delete zoom[match[1]];
  }
  // A reset to the figure's own range is no zoom.
  for (const [axis, range] of Object.entries(zoom)) {
    const given = ((state.figure.layout || {})[axis] || {}).range;
    if (given && given[0] === range[0] && given[1] === range[1]) delete zoom[axis];
  }
  return Object.keys(zoom).length ? zoom : null;
}

// Plotly drops its listeners when it has to draw a chart anew (newPlot): attach them again then.
function listen(box) {
  const state = box.__marginLab;
  if (!state.onRelayout) {
    state.onRelayout = (event) => { state.zoom = zoomAfter(box, event); };
    state.onDoubleClick = () => { state.zoom = null; };
  }
  const attached = box._ev ? box._ev.listeners("plotly_relayout") : [];
  if (!attached.includes(state.onRelayout)) {
    box.on("plotly_relayout", state.onRelayout);
    box.on("plotly_doubleclick", state.onDoubleClick);
  }
}

function toggleFullScreen(box) {
  if (document.fullscreenElement) document.exitFullscreen();
  else box.requestFullscreen();
}

function draw(box) {
  const state = box.__marginLab;
  const theme = themeAt(box);
  state.theme = theme.key;
  box.style.background = theme.background;  // seen around the chart in full screen
  // Plotly keeps and changes the objects it is given (a zoom writes the axis ranges into them): copies,
  // so that state.figure stays the figure as sent.
  let layout = withZoom(withTheme(structuredClone(state.figure.layout || {}), theme), state.zoom);
  if (document.fullscreenElement === box) layout = Object.assign(layout, {height: window.innerHeight});
  if (layout.uirevision === undefined) layout.uirevision = state.subject;
  return loadPlotly().then((Plotly) => {
    // One config object while the page's config is the same: plotly compares configs by value and
    // functions by identity, and a changed config makes Plotly.react draw the chart anew (newPlot).
    if (state.configFor !== state.configText) {
      state.configFor = state.configText;
      state.plotlyConfig = Object.assign({modeBarButtonsToRemove: REMOVED_BUTTONS, plotlyServerURL: "",
        modeBarButtonsToAdd: [{name: "fullscreen", title: "Full screen", icon: FULL_SCREEN_ICON,
                               click: () => toggleFullScreen(box)}]}, state.config);
    }
    return Plotly.react(box, structuredClone(state.figure.data || []), layout, state.plotlyConfig).then(() => {
      listen(box);
      state.width = box.clientWidth;
      box.dataset.revision = String(state.revision);
    });
  }).catch((error) => {
    box.textContent = "This chart could not be drawn (" + error.message + "): reload the page.";
    box.dataset.revision = "failed";
  });
}

function create(parentElement) {
  const box = document.createElement("div");
  box.className = CHART_CLASS;
  box.__marginLab = {revision: 0, spec: null, zoom: null};
  parentElement.appendChild(box);
  // A theme switch restyles the component's wrappers (new CSS classes): redraw in the new colours.
  const wrappers = [];
  for (let node = box.parentElement; node && wrappers.length < 4; node = node.parentElement) {
    wrappers.push(node);
    if (node.classList.contains("stBidiComponent")) break;
  }
  const restyled = new MutationObserver(() => {
    if (box.__marginLab.figure && themeAt(box).key !== box.__marginLab.theme) draw(box);
  });
  wrappers.forEach((node) => restyled.observe(node, {attributes: true, attributeFilter: ["class", "style"]}));
  // The column's width changes without a window resize too (the sidebar folds, a phone turns).
  const resized = new ResizeObserver(() => {
    const state = box.__marginLab;
    if (window.Plotly && box._fullLayout && box.clientWidth && box.clientWidth !== state.width) {
      state.width = box.clientWidth;
      window.Plotly.Plots.resize(box);
    }
  });
  resized.observe(box);
  // Into and out of full screen: the height is set in draw(), the width by a resize to the box's new width
  // (draw() records that width, so the resize observer would take the change as already made).
  box.addEventListener("fullscreenchange", () => {
    if (!box.__marginLab.figure) return;
    draw(box).then(() => { if (window.Plotly && box._fullLayout) window.Plotly.Plots.resize(box); });
  });
  return box;
}

export default function (component) {
  const { data, parentElement } = component;
  const box = parentElement.querySelector("div." + CHART_CLASS) || create(parentElement);
  const state = box.__marginLab;
  box.dataset.chartKey = data.key;
  if (data.spec !== state.spec) {
    state.spec = data.spec;
    state.figure = JSON.parse(data.spec);
    state.config = data.config;
    state.configText = JSON.stringify(data.config);
    const subject = subjectOf(state.figure);
    if (subject !== state.subject) state.zoom = null;
    state.subject = subject;
    state.revision += 1;
    const height = (state.figure.layout || {}).height;
    box.style.minHeight = height ? height + "px" : "";  // no jump while plotly.js loads; follows the figure
    draw(box);
  }
  return () => {};
}
