// Draws each Plotly figure of the page from its JSON block (see api/services/figures.py):
// the pages carry no inline script, as the Content-Security-Policy demands.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("div[data-figure]").forEach(function (div) {
    var block = document.getElementById(div.getAttribute("data-figure"));
    if (!block || typeof Plotly === "undefined") {
      return;
    }
    var spec = JSON.parse(block.textContent);
    Plotly.newPlot(div, spec.data, spec.layout, spec.config || {});
  });
});
