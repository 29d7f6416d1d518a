// Report pages: the Print button (inline handlers are not allowed by the CSP).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// The agency filter: as one types in a box marked data-agency-lookup, the agencies whose name
// holds the words typed are offered in the box's <datalist> (a page carries no list of every
// agency). Without JavaScript the box still takes a name, which the server looks up.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("input[data-agency-lookup]");
  if (!boxes.length) { return; }
  var timer = null;
  var asked = "";

  function suggest(box) {
    var text = box.value.trim();
    var list = box.list;
    if (!list || text.length < 2 || text === asked) { return; }
    asked = text;
    fetch("/api/v1/reports/agency-names?q=" + encodeURIComponent(text), {
      headers: { accept: "application/json" }, credentials: "same-origin"
    }).then(function (answer) {
      return answer.ok ? answer.json() : { agencies: [] };
    }).then(function (body) {
      if (asked !== text) { return; }  // a later keystroke asked again
      list.replaceChildren.apply(list, body.agencies.map(function (agency) {
        var option = document.createElement("option");
        option.value = agency.name;
        return option;
      }));
    }).catch(function () { /* no suggestions; the box still works */ });
  }

  Array.prototype.forEach.call(boxes, function (box) {
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { suggest(box); }, 150);
    });
  });
}());
