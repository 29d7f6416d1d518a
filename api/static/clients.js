// The two-page client profile form ("Page 1" / "Page 2"): switching pages, the green check mark
// on a page once its required fields are filled in, "Add Subject" only when both are (and, until
// then, what is still missing beside it), the "no fixed address" convention and extra phone rows.
// The server checks everything again.
(function () {
  "use strict";
  var form = document.querySelector(".connect-client-form");
  if (!form) { return; }

  var NO_FIXED_ADDRESS = "0000 Street";
  var ALL_NINES = "9999999999";

  function field(name) { return form.elements.namedItem(name); }
  function filled(name) {
    var el = field(name);
    return !!el && String(el.value || "").trim() !== "";
  }
  function digits(text) {
    var d = String(text || "").replace(/\D/g, "");
    return d.length === 11 && d.charAt(0) === "1" ? d.slice(1) : d;
  }
  function phoneNumbers() {
    return Array.prototype.map.call(form.querySelectorAll("input[name=phone_number]"), function (el) {
      return el.value.trim();
    }).filter(function (v) { return v !== ""; });
  }

  function dobValid() {
    var el = field("dob");
    if (!el || !el.value) { return false; }
    var value = el.value;
    return (!el.min || value >= el.min) && (!el.max || value <= el.max);
  }

  function labelOf(name) {
    var label = form.querySelector("label[for='" + name + "'], [data-field='" + name + "'] legend");
    var text = label ? label.cloneNode(true) : null;
    if (!text) { return name; }
    Array.prototype.forEach.call(text.querySelectorAll("abbr, .connect-when-no-phone"), function (el) { el.remove(); });
    return text.textContent.replace(/\s+/g, " ").trim();
  }

  // What each page still needs, in the words of its labels.
  function page1Missing() {
    var missing = [];
    ["first_name", "last_name"].forEach(function (name) { if (!filled(name)) { missing.push(labelOf(name)); } });
    if (!dobValid()) { missing.push(labelOf("dob")); }
    if (!filled("gender_identity")) { missing.push(labelOf("gender_identity")); }
    if (!form.querySelectorAll("input[name=races]:checked").length) { missing.push(labelOf("races")); }
    if (!filled("military_service")) { missing.push(labelOf("military_service")); }
    return missing;
  }

  function hasRealPhone(numbers) {
    return numbers.some(function (n) { return digits(n) !== ALL_NINES; });
  }

  function page2Missing() {
    var missing = [];
    if (!field("no_fixed_address").checked && !filled("address")) { missing.push(labelOf("address")); }
    ["city", "county"].forEach(function (name) { if (!filled(name)) { missing.push(labelOf(name)); } });
    var zip = String(field("zip").value || "").trim();
    var zip5 = /^\d{5}([-\s]?\d{4})?$/.test(zip) ? parseInt(zip.slice(0, 5), 10) : 0;
    if (!(zip5 >= 59001 && zip5 <= 59937)) { missing.push(labelOf("zip") + " (59001 to 59937)"); }
    var numbers = phoneNumbers();
    if (!numbers.every(function (n) { return digits(n).length === 10; })) {
      missing.push("a phone number of 10 digits");
    }
    if (!hasRealPhone(numbers) && !filled("best_way_to_reach")) {
      missing.push(numbers.length ? labelOf("best_way_to_reach") + " (the client has no phone)"
                                  : "a phone number or the " + labelOf("best_way_to_reach").toLowerCase());
    }
    return missing;
  }

  var submit = form.querySelector("[data-submit]");
  var reason = form.querySelector("[data-submit-reason]");
  var acknowledge = field("acknowledge_near_matches");

  function refresh() {
    var missing = { 1: page1Missing(), 2: page2Missing() };
    Object.keys(missing).forEach(function (page) {
      var mark = form.querySelector("[data-check='" + page + "']");
      if (mark) { mark.hidden = missing[page].length > 0; }
    });
    var parts = [];
    Object.keys(missing).forEach(function (page) {
      if (missing[page].length) { parts.push("Page " + page + ": " + missing[page].join(", ")); }
    });
    if (acknowledge && !acknowledge.checked) { parts.push("tick that none of the possible matches is this person"); }
    var ready = parts.length === 0;
    submit.disabled = !ready;
    submit.setAttribute("aria-disabled", String(!ready));
    reason.hidden = ready;
    reason.textContent = ready ? "" : "To " + submit.textContent.trim().toLowerCase() + ", fill in " + parts.join("; ") + ".";
    var noPhone = !hasRealPhone(phoneNumbers());
    Array.prototype.forEach.call(form.querySelectorAll(".connect-when-no-phone"), function (el) {
      el.hidden = !noPhone;
    });
    var reach = field("best_way_to_reach");
    if (noPhone) { reach.setAttribute("aria-required", "true"); } else { reach.removeAttribute("aria-required"); }
  }

  function show(page) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-page-panel]"), function (panel) {
      panel.hidden = panel.getAttribute("data-page-panel") !== String(page);
    });
    Array.prototype.forEach.call(form.querySelectorAll("[role=tab]"), function (tab) {
      var active = tab.getAttribute("data-page") === String(page);
      tab.setAttribute("aria-selected", String(active));
      tab.classList.toggle("connect-page-tab--active", active);
    });
  }

  form.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-page], [data-goto]");
    if (tab) {
      show(tab.getAttribute("data-page") || tab.getAttribute("data-goto"));
      return;
    }
    if (event.target.closest("[data-add-phone]")) {
      var rows = form.querySelectorAll("[data-phone-row]");
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      var index = rows.length;
      copy.classList.remove("usa-form-group--error");
      Array.prototype.forEach.call(copy.querySelectorAll(".usa-error-message"), function (el) { el.remove(); });
      Array.prototype.forEach.call(copy.querySelectorAll("input, select, label"), function (el) {
        if (el.id) { el.id = el.id.replace(/\d+$/, index); }
        if (el.htmlFor) { el.htmlFor = el.htmlFor.replace(/\d+$/, index); }
        if (el.tagName === "INPUT") { el.value = ""; el.classList.remove("usa-input--error"); }
      });
      last.parentNode.insertBefore(copy, last.nextSibling);
      copy.querySelector("input").focus();
      refresh();
    }
  });

  var address = field("address");
  var typedAddress = address.value === NO_FIXED_ADDRESS ? "" : address.value;
  function applyNoFixedAddress() {
    var on = field("no_fixed_address").checked;
    if (on) {
      if (address.value !== NO_FIXED_ADDRESS) { typedAddress = address.value; }
      address.value = NO_FIXED_ADDRESS;
    } else if (address.value === NO_FIXED_ADDRESS) {
      address.value = typedAddress;
    }
    address.readOnly = on;
    form.querySelector(".connect-housing-reminder").hidden = !on;
  }
  field("no_fixed_address").addEventListener("change", function () { applyNoFixedAddress(); refresh(); });

  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  applyNoFixedAddress();
  show(form.getAttribute("data-open-page") || "1");
  refresh();
})();
