// The summary's growth chart at the width of an A4 sheet while the page prints (see
// summary.css): drawn on a phone it would print as narrow as the phone. Plotly redraws it
// before printing and gives it back its screen size afterwards. No inline script (the CSP).
(function () {
  var PRINT_SIZE = { width: 680, height: 260 };
  function figures() {
    return document.querySelectorAll("#chart div[data-figure]");
  }
  window.addEventListener("beforeprint", function () {
    if (typeof Plotly === "undefined") {
      return;
    }
    figures().forEach(function (div) {
      if (!div.layout) {
        return; // not drawn
      }
      div.setAttribute("data-screen-height", String(div.layout.height || ""));
      div.parentElement.classList.add("for-print");
      Plotly.relayout(div, { autosize: false, width: PRINT_SIZE.width, height: PRINT_SIZE.height });
    });
  });
  window.addEventListener("afterprint", function () {
    figures().forEach(function (div) {
      if (!div.parentElement.classList.contains("for-print")) {
        return;
      }
      div.parentElement.classList.remove("for-print");
      var height = Number(div.getAttribute("data-screen-height")) || null;
      Plotly.relayout(div, { autosize: true, width: null, height: height });
    });
  });
})();
