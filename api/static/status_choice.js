// The referral's "Choose the Referral Status" select: the guide's explanation of the status
// chosen shows beside it as soon as it is chosen (the page renders the current one).
(function () {
  "use strict";
  var select = document.querySelector("[data-status-select]");
  var help = select && document.getElementById(select.getAttribute("aria-describedby"));
  if (!help) { return; }
  select.addEventListener("change", function () {
    help.textContent = select.options[select.selectedIndex].getAttribute("data-help") || "";
  });
})();
