// Defines window.__marginLabLoadPlotly(): plotly.js once per page, from Streamlit's static serving next
// to Streamlit's own scripts (the app may be served under a path prefix, so the address is taken from
// Streamlit's index script). Shared by the chart component and the early preload (ui/live_chart.py).
window.__marginLabLoadPlotly = window.__marginLabLoadPlotly || function () {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__marginLabPlotly) {
    window.__marginLabPlotly = new Promise((resolve, reject) => {
      const own = [...document.scripts].find((s) => /\/static\/js\/index[^/]*\.js/.test(s.src));
      const base = own ? own.src.split("static/js/")[0] : window.location.origin + "/";
      const script = document.createElement("script");
      script.src = base + "app/static/__FILE__?v=__VERSION__";
      script.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("no Plotly")));
      script.onerror = () => { window.__marginLabPlotly = null; reject(new Error("not served")); };
      document.head.appendChild(script);
    });
  }
  return window.__marginLabPlotly;
};
