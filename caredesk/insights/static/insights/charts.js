// Draw the dashboard's charts from the JSON block the page carries (no inline script: the CSP
// allows scripts from 'self' only). Each chart's numbers are also in its table view and CSV.
(function () {
  "use strict";
  function draw() {
    var block = document.getElementById("chart-data");
    if (!block || typeof Plotly === "undefined") { return; }
    var data = JSON.parse(block.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var c = data[el.getAttribute("data-chart")];
      if (!c || el.getAttribute("data-drawn")) { return; }
      el.setAttribute("data-drawn", "1");
      Plotly.newPlot(el, [{
        x: c.x, y: c.y, type: "scatter", mode: "lines+markers", connectgaps: false,
        name: c.title, customdata: c.cases,
        hovertemplate: "%{x}: %{y} " + c.unit + " (%{customdata} cases)<extra></extra>",
        line: { color: "#2f6f6a" }
      }], {
        height: 220, margin: { l: 48, r: 12, t: 8, b: 36 },
        yaxis: { title: { text: c.unit }, rangemode: "tozero" },
        xaxis: { type: "category" }
      }, { displayModeBar: false, responsive: true, staticPlot: false });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
