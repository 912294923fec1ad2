// Aktenauszug: "Alle auswählen" and "ganzer Vorgang" tick the valid documents below them
// (cancelled ones stay as they are), and the boxes above follow the documents. Without
// this script the server reads the same boxes the same way.
(function () {
  "use strict";

  function boxes(scope) {
    return Array.prototype.slice.call(scope.querySelectorAll('input[name="dokumente"]'));
  }

  function valid(list) {
    return list.filter(function (box) { return !box.hasAttribute("data-storniert"); });
  }

  function follow(head, list) {
    if (!head) { return; }
    var ticked = list.filter(function (box) { return box.checked; }).length;
    head.checked = list.length > 0 && ticked === list.length;
    head.indeterminate = ticked > 0 && ticked < list.length;
  }

  function setup(form) {
    var all = form.querySelector("[data-alle]");
    var groups = Array.prototype.slice.call(form.querySelectorAll("[data-gruppe]"));

    function refresh() {
      groups.forEach(function (group) {
        follow(group.querySelector("[data-gruppe-alle]"), valid(boxes(group)));
      });
      follow(all, valid(boxes(form)));
    }

    if (all) {
      all.addEventListener("change", function () {
        valid(boxes(form)).forEach(function (box) { box.checked = all.checked; });
        refresh();
      });
    }
    groups.forEach(function (group) {
      var head = group.querySelector("[data-gruppe-alle]");
      if (head) {
        head.addEventListener("change", function () {
          valid(boxes(group)).forEach(function (box) { box.checked = head.checked; });
          refresh();
        });
      }
    });
    boxes(form).forEach(function (box) { box.addEventListener("change", refresh); });
    refresh();
  }

  document.querySelectorAll("[data-auszug-auswahl]").forEach(setup);
})();
