// Triage shortcuts (listed on the page): A files into the suggested Akte, S/N/T focus
// the search, the reason and the team, W goes to the next document. Keys do nothing
// while a field has the focus or with a modifier held.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var key = (event.key || "").toLowerCase();
    var action = document.querySelector('[data-shortcut="' + key + '"]');
    if (action) {
      event.preventDefault();
      action.click();
      return;
    }
    var field = document.querySelector('[data-shortcut-focus="' + key + '"]');
    if (field) {
      event.preventDefault();
      field.focus();
    }
  });
})();
