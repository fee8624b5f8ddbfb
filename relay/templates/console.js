// edgeprint console: small progressive enhancements. Every page works
// without this file; it is served from the relay (CSP: script-src 'self').
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Ask before destructive buttons.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      if (!window.confirm(el.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });
  // Checkboxes that save their form at once (printer enable).
  document.querySelectorAll("input[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.requestSubmit(); });
  });
  // Forms answered in JSON (the portal's unlock code, POST /portal/unlock):
  // send them in the background and say what came back.
  document.querySelectorAll("form[data-json-form]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var out = form.querySelector("output");
      fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" })
        .then(function (resp) {
          return resp.json().catch(function () { return {}; }).then(function (body) {
            if (out) out.textContent = resp.ok ? "Unlocked: the printer is yours." : (body.error || "Refused (" + resp.status + ").");
          });
        })
        .catch(function () { if (out) out.textContent = "The relay could not be reached."; });
    });
  });
  // Filter table rows as you type.
  document.querySelectorAll("input[data-filter]").forEach(function (el) {
    var table = document.getElementById(el.getAttribute("data-filter"));
    if (!table) return;
    el.addEventListener("input", function () {
      var q = el.value.toLowerCase();
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        tr.hidden = q !== "" && tr.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  });
});
