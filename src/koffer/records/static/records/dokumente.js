// Documents: drag-and-drop upload with one progress bar and one result line per file, and
// keyboard paging in the viewer. Without this script the upload form posts all files at
// once and the server answers with a result page; nothing here is needed to use the pages.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function text(tag, className, content) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (content) { el.textContent = content; }
    return el;
  }

  var OUTCOME_LABELS = { duplicate: "Bereits vorhanden", rejected: "Nicht gespeichert" };

  function showResult(line, result) {
    line.status.textContent = "";
    line.item.className = "koffer-upload__result koffer-upload__result--" + result.outcome;
    // A stored file's message says so itself ("Gespeichert (3 Seiten)."); the others get a label.
    if (OUTCOME_LABELS[result.outcome]) {
      line.status.appendChild(text("span", "koffer-upload__outcome", OUTCOME_LABELS[result.outcome] + ": "));
    }
    line.status.appendChild(document.createTextNode(result.message));
    if (result.url) {
      var link = text("a", "kern-link", result.title || "Dokument öffnen");
      link.href = result.url;
      line.status.appendChild(document.createTextNode(" "));
      line.status.appendChild(link);
    }
    (result.notes || []).forEach(function (note) {
      line.status.appendChild(text("span", "koffer-upload__note", note));
    });
    line.progress.value = 100;
    line.progressWrap.hidden = true;
  }

  function showFailure(line, message) {
    showResult(line, { outcome: "rejected", message: message, notes: [] });
  }

  function setupUpload(form) {
    var input = form.querySelector('input[type="file"]');
    var zone = form.querySelector("[data-dropzone]");
    var list = form.querySelector("[data-upload-results]");
    var summary = form.querySelector("[data-upload-summary]");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    var maxLabel = form.getAttribute("data-max-label") || "";
    var running = 0;
    var done = { total: 0, stored: 0 };

    function addLine(file) {
      var item = text("li", "koffer-upload__result koffer-upload__result--pending");
      item.appendChild(text("span", "koffer-upload__name", file.name));
      var progressWrap = text("div", "kern-progress koffer-upload__progress");
      var progress = document.createElement("progress");
      progress.max = 100;
      progress.value = 0;
      progress.setAttribute("aria-label", "Fortschritt " + file.name);
      progressWrap.appendChild(progress);
      item.appendChild(progressWrap);
      var status = text("span", "koffer-upload__status-line", "Wartet …");
      item.appendChild(status);
      list.appendChild(item);
      return { item: item, progress: progress, progressWrap: progressWrap, status: status };
    }

    function finishOne(stored) {
      done.total += 1;
      if (stored) { done.stored += 1; }
      running -= 1;
      if (running > 0) {
        summary.textContent = done.total + " von " + (done.total + running) + " Dateien fertig …";
      } else {
        summary.textContent = "Fertig: " + done.stored + " von " + done.total + " Datei" + (done.total === 1 ? "" : "en") + " gespeichert. ";
        if (done.stored > 0) { refreshList(); }
      }
    }

    // The Akte page's list and its count "Dokumente (n)" come again from the server once
    // the files are stored; where that fails (or on a page without the list) a link
    // reloads the page instead.
    function offerReload() {
      var reload = text("a", "kern-link", "Dokumentenliste aktualisieren");
      reload.href = window.location.pathname + window.location.search;
      summary.appendChild(reload);
    }

    function refreshList() {
      var holder = document.querySelector("[data-dokumente-liste]");
      if (!holder || !window.fetch) { offerReload(); return; }
      window.fetch(holder.getAttribute("data-dokumente-liste"), { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.text();
        })
        .then(function (html) { holder.innerHTML = html; })
        .catch(offerReload);
    }

    function answerOf(xhr) {
      try { return JSON.parse(xhr.responseText); } catch (e) { return null; }
    }

    // One request per file, so every file gets its own progress and result line.
    function upload(file, line, withTitle, onDone) {
      var data = new FormData(form);
      data.delete("dateien");
      if (!withTitle) { data.delete("title"); }
      data.append("dateien", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          line.progress.value = Math.round((event.loaded / event.total) * 100);
          line.status.textContent = "Wird übertragen … " + line.progress.value + " %";
        }
      });
      xhr.upload.addEventListener("load", function () {
        line.status.textContent = "Wird verarbeitet …";
      });
      xhr.addEventListener("load", function () {
        var answer = answerOf(xhr);
        var stored = false;
        if (answer && answer.results && answer.results.length) {
          showResult(line, answer.results[0]);
          stored = answer.results[0].outcome === "stored";
        } else if (answer && answer.errors && answer.errors.length) {
          showFailure(line, answer.errors.join(" "));
        } else if (xhr.status === 413) {
          showFailure(line, "Die Datei ist zu groß für eine Übertragung.");
        } else {
          showFailure(line, "Der Server hat die Datei nicht angenommen (Fehler " + xhr.status + "). Bitte versuchen Sie es erneut.");
        }
        finishOne(stored);
        onDone();
      });
      xhr.addEventListener("error", function () {
        showFailure(line, "Netzwerkfehler: Die Datei wurde nicht übertragen. Bitte versuchen Sie es erneut.");
        finishOne(false);
        onDone();
      });
      xhr.send(data);
    }

    function uploadAll(files) {
      if (!files || !files.length) {
        summary.textContent = "Bitte wählen Sie mindestens eine Datei aus.";
        return;
      }
      if (running === 0) { done = { total: 0, stored: 0 }; }
      var queue = Array.prototype.slice.call(files);
      summary.textContent = queue.length + " Datei" + (queue.length === 1 ? " wird" : "en werden") + " hochgeladen …";
      var withTitle = queue.length === 1;
      running += queue.length;
      var lines = queue.map(addLine);
      var next = 0;
      function startNext() {
        if (next >= queue.length) { return; }
        var index = next;
        next += 1;
        if (maxBytes && queue[index].size > maxBytes) {
          showFailure(lines[index], "Die Datei ist größer als die erlaubten " + maxLabel + ".");
          finishOne(false);
          startNext();
          return;
        }
        upload(queue[index], lines[index], withTitle, startNext);
      }
      // Two files travel at once: one large file does not hold up the others.
      startNext();
      startNext();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      uploadAll(input.files);
      input.value = "";
    });

    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("koffer-dropzone--active");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("koffer-dropzone--active"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("koffer-dropzone--active");
      if (event.dataTransfer && event.dataTransfer.files) { uploadAll(event.dataTransfer.files); }
    });
    form.classList.add("koffer-upload--enhanced");
  }

  function setupViewer(viewer) {
    var pages = Array.prototype.slice.call(viewer.querySelectorAll(".koffer-viewer__page"));
    function currentIndex() {
      var best = 0;
      pages.forEach(function (page, index) {
        if (page.getBoundingClientRect().top <= 80) { best = index; }
      });
      return best;
    }
    function go(index) {
      var page = pages[Math.max(0, Math.min(pages.length - 1, index))];
      if (!page) { return; }
      window.location.hash = page.id;
      page.focus();
    }
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
      if (event.key === "j") { go(currentIndex() + 1); }
      if (event.key === "k") { go(currentIndex() - 1); }
    });
  }

  // The enlarged page: Escape leads back to the document, at the page that was enlarged.
  function setupZoom(zoom) {
    var back = zoom.querySelector("[data-zoom-back]");
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && back) { window.location.href = back.href; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-upload-form]").forEach(setupUpload);
    document.querySelectorAll("[data-viewer]").forEach(setupViewer);
    document.querySelectorAll("[data-page-zoom]").forEach(setupZoom);
  });
})();
