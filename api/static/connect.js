// Sends the session's CSRF token with every htmx request.
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.body.dataset.csrf;
  if (token) { event.detail.headers["X-CSRF-Token"] = token; }
});

// Wide tables scroll sideways inside their own box rather than pushing the page wider than a
// phone. A box that does scroll is a labelled region people can reach with the keyboard.
function markScrollable(box) {
  var table = box.querySelector("table");
  if (box.scrollWidth > box.clientWidth + 1) {
    var caption = table && table.querySelector("caption");
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", (caption ? caption.textContent.trim() + ": " : "") + "table, scroll sideways to see more");
  } else {
    box.removeAttribute("tabindex");
    box.removeAttribute("role");
    box.removeAttribute("aria-label");
  }
}

function containTables(root) {
  root.querySelectorAll("table.usa-table").forEach(function (table) {
    var box = table.parentElement;
    if (!box.classList.contains("connect-table-scroll")) {
      box = document.createElement("div");
      box.className = "connect-table-scroll";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    }
    markScrollable(box);
  });
}

document.addEventListener("DOMContentLoaded", function () { containTables(document); });
document.addEventListener("htmx:afterSettle", function (event) { containTables(event.detail.elt.parentElement || document); });
window.addEventListener("resize", function () {
  document.querySelectorAll(".connect-table-scroll").forEach(markScrollable);
});
