// An on-screen signature: enhances each signature field of a form step
// (fieldset[data-unterschrift], rendered by forms.darstellung) with a drawing pad.
// The drawing goes to the server as a PNG data URL in the hidden input
// "<field>-bild"; without JavaScript, or by keyboard, the typed name with the
// confirmation (or „auf Papier unterschreiben“) remains the way to sign.
(function () {
  "use strict";

  function pad(fieldset) {
    var prefix = fieldset.getAttribute("data-unterschrift");
    var nameBox = fieldset.querySelector(".koffer-unterschrift");
    if (!prefix || !nameBox || fieldset.querySelector("canvas")) return;
    var bildschirm = document.getElementById(prefix + "-art-bildschirm");

    var wrap = document.createElement("div");
    wrap.className = "koffer-unterschrift-flaeche";
    var hint = document.createElement("p");
    hint.className = "kern-hint";
    hint.id = prefix + "-flaeche-hinweis";
    hint.textContent =
      "Unterschreiben Sie hier mit Finger, Stift oder Maus. Ohne Zeichnung gilt Ihr oben eingegebener Name mit der Bestätigung.";
    var canvas = document.createElement("canvas");
    canvas.width = 600;
    canvas.height = 200;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Unterschriftsfeld");
    canvas.setAttribute("aria-describedby", hint.id);
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = prefix + "-bild";
    var clear = document.createElement("button");
    clear.type = "button";
    clear.className = "kern-btn kern-btn--secondary";
    clear.innerHTML = '<span class="kern-label">Löschen</span>';
    var status = document.createElement("p");
    status.className = "kern-body";
    status.setAttribute("aria-live", "polite");

    wrap.appendChild(hint);
    wrap.appendChild(canvas);
    wrap.appendChild(hidden);
    wrap.appendChild(clear);
    wrap.appendChild(status);
    nameBox.parentNode.insertBefore(wrap, nameBox.nextSibling);

    var ctx = canvas.getContext("2d");
    var drawn = false;
    var last = null;

    function reset() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.lineWidth = 3;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#000";
      drawn = false;
      hidden.value = "";
    }

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - box.left) * canvas.width) / box.width,
        y: ((event.clientY - box.top) * canvas.height) / box.height,
      };
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      last = point(event);
      if (bildschirm) bildschirm.checked = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!last) return;
      var next = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(next.x, next.y);
      ctx.stroke();
      last = next;
      drawn = true;
    });
    function stop() {
      if (!last) return;
      last = null;
      if (drawn) {
        hidden.value = canvas.toDataURL("image/png");
        status.textContent = "Unterschrift gezeichnet.";
      }
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    clear.addEventListener("click", function () {
      reset();
      status.textContent = "Unterschriftsfeld geleert.";
    });
    reset();
  }

  function init() {
    var fields = document.querySelectorAll("fieldset[data-unterschrift]");
    for (var i = 0; i < fields.length; i++) pad(fields[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
