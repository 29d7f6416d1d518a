// Lists whose rows are links: a click anywhere on a row marked data-row-link opens the row's
// main link (the element marked data-row-main), as the name link does. Clicks on the row's own
// links, buttons and form fields keep their meaning, and selecting text does not navigate.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var row = event.target.closest("[data-row-link]");
    if (!row || event.target.closest("a, button, input, select, textarea, label")) { return; }
    if (String(window.getSelection() || "") !== "") { return; }
    var main = row.querySelector("[data-row-main]");
    if (!main) { return; }
    if (event.ctrlKey || event.metaKey || event.button === 1) {
      window.open(main.href, "_blank", "noopener");
    } else {
      window.location.assign(main.href);
    }
  });
})();
