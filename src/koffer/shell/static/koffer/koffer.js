// koffer: the little JavaScript the pages need. No inline script anywhere (strict CSP).
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.getAttribute("content"); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".koffer-error-summary");
    if (summary) { summary.focus(); }
  });
})();
