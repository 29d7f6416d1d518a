// The two-page client profile form ("Page 1" / "Page 2"): switching pages, the green check mark
// on a page once its required fields are filled in, "Add Subject" only when both are, the "no
// fixed address" convention and extra phone rows. The server checks everything again.
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

  function page1Complete() {
    return filled("first_name") && filled("last_name") && dobValid() && filled("gender_identity") &&
      form.querySelectorAll("input[name=races]:checked").length > 0 && filled("military_service");
  }

  function hasRealPhone(numbers) {
    return numbers.some(function (n) { return digits(n) !== ALL_NINES; });
  }

  function page2Complete() {
    var noAddress = field("no_fixed_address").checked;
    var zip = String(field("zip").value || "").trim();
    var zip5 = /^\d{5}([-\s]?\d{4})?$/.test(zip) ? parseInt(zip.slice(0, 5), 10) : 0;
    var numbers = phoneNumbers();
    var phonesOk = numbers.every(function (n) { return digits(n).length === 10; });
    var reachOk = hasRealPhone(numbers) || filled("best_way_to_reach");
    return (noAddress || filled("address")) && filled("city") && filled("county") &&
      zip5 >= 59001 && zip5 <= 59937 && phonesOk && reachOk;
  }

  var submit = form.querySelector("[data-submit]");
  var acknowledge = field("acknowledge_near_matches");

  function refresh() {
    var done = { 1: page1Complete(), 2: page2Complete() };
    Object.keys(done).forEach(function (page) {
      var mark = form.querySelector("[data-check='" + page + "']");
      if (mark) { mark.hidden = !done[page]; }
    });
    var ready = done[1] && done[2] && (!acknowledge || acknowledge.checked);
    submit.disabled = !ready;
    submit.setAttribute("aria-disabled", String(!ready));
    var noPhone = !hasRealPhone(phoneNumbers());
    Array.prototype.forEach.call(form.querySelectorAll(".connect-when-no-phone"), function (el) {
      el.hidden = !noPhone;
    });
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
