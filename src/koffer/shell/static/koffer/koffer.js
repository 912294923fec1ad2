// koffer: the little JavaScript the pages need. No inline script anywhere (strict CSP).
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.getAttribute("content"); }
  });
  // A table wider than the screen scrolls inside its wrapper. Keyboard users can only scroll
  // it when the wrapper takes focus, so give it a tab stop and a name, but only while it
  // actually scrolls (WCAG 2.1.1; axe: scrollable-region-focusable).
  function markScrollableTables() {
    document.querySelectorAll(".koffer-table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth) {
        var caption = wrap.querySelector("caption");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", (caption ? caption.textContent.trim() + " – " : "") + "Tabelle, waagerecht scrollbar");
      } else if (wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    markScrollableTables();
    var summary = document.querySelector(".koffer-error-summary");
    if (summary) { summary.focus(); }
  });
  window.addEventListener("resize", markScrollableTables);
  document.addEventListener("htmx:afterSettle", markScrollableTables);
})();
