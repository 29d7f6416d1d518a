// Start new ROI(s), "Choose Counties": typing in the box (it has no name, so it is never sent)
// narrows the list of county boxes, and choosing a county from the suggestions ticks its box.
(function () {
  "use strict";
  var input = document.querySelector("[data-county-typeahead]");
  var options = document.querySelector("[data-county-options]");
  if (!input || !options) { return; }

  function boxes() { return Array.prototype.slice.call(options.querySelectorAll(".usa-checkbox")); }

  input.addEventListener("input", function () {
    var typed = input.value.trim().toLowerCase();
    var exact = null;
    boxes().forEach(function (box) {
      var label = box.querySelector("label").textContent.trim().toLowerCase();
      box.hidden = typed !== "" && label.indexOf(typed) === -1;
      if (label === typed) { exact = box.querySelector("input"); }
    });
    if (exact) {
      exact.checked = true;
      input.value = "";
      boxes().forEach(function (box) { box.hidden = false; });
      exact.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); }  // Enter here picks, it does not search
  });
})();
