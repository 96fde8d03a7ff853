// Draws each Plotly figure of the page from its JSON block (see api/services/figures.py):
// the pages carry no inline script, as the Content-Security-Policy demands. A figure at most
// spec.narrow.max_width pixels wide (a phone) takes spec.narrow.config over its config (there:
// no mode bar, which would cover the title).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("div[data-figure]").forEach(function (div) {
    var block = document.getElementById(div.getAttribute("data-figure"));
    if (!block || typeof Plotly === "undefined") {
      return;
    }
    var spec = JSON.parse(block.textContent);
    var config = spec.config || {};
    var narrow = spec.narrow;
    if (narrow && narrow.config && div.clientWidth <= narrow.max_width) {
      Object.keys(narrow.config).forEach(function (key) {
        config[key] = narrow.config[key];
      });
    }
    Plotly.newPlot(div, spec.data, spec.layout, config);
  });
});
