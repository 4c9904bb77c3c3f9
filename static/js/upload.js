// Attachments in the composer: the + button, drag and drop onto the conversation, paste
// from the clipboard, and `charla:attach` events on #composer (detail {file, voice}).
// Each file uploads at once (XHR, with a progress bar) to /conversations/{id}/uploads;
// the message is sent with the upload ids (and captions) in the `attachments` field.
// Files over the limit are refused here, before uploading; the server checks again.
(function () {
  "use strict";
  var MAX_FILES = 10;
  // Per conversation, so a live refresh of the pane (which redraws the composer) keeps them.
  var files = {};
  var seq = 0;

  function composer() { return document.getElementById("composer"); }
  function convOf(form) {
    var m = /\/conversations\/(\d+)\//.exec(form.getAttribute("data-uploads") + "/");
    return m ? m[1] : "";
  }
  function list(form) { return files[convOf(form)] || (files[convOf(form)] = []); }
  function fmt(text, args) {
    return String(text || "").replace(/%(\w+)/g, function (m, k) { return args[k] != null ? args[k] : m; });
  }
  function size(n) {
    if (n >= 1e6) return (Math.round(n / 1e5) / 10) + " MB";
    if (n >= 1e3) return (Math.round(n / 1e2) / 10) + " kB";
    return n + " B";
  }
  function showError(form, text) {
    var p = document.getElementById("upload-error");
    if (!p) return;
    p.textContent = text || "";
    p.hidden = !text;
  }

  function sync(form) {
    var items = list(form);
    var done = items.filter(function (f) { return f.id; });
    var hidden = document.getElementById("composer-attachments");
    if (hidden) hidden.value = done.length ? JSON.stringify(done.map(function (f) { return { id: f.id, caption: f.caption || "" }; })) : "";
    var box = document.getElementById("composer-text");
    if (box) box.required = done.length === 0;
    render(form);
  }

  function render(form) {
    var ul = document.getElementById("upload-list");
    if (!ul) return;
    var items = list(form);
    ul.hidden = items.length === 0;
    // Keep rows that exist (their thumbnail and typed caption), add and remove the rest.
    var keep = {};
    items.forEach(function (f) { keep[f.key] = true; });
    Array.prototype.slice.call(ul.children).forEach(function (li) {
      if (!keep[li.getAttribute("data-key")]) li.remove();
    });
    items.forEach(function (f) {
      var li = ul.querySelector('[data-key="' + f.key + '"]');
      if (!li) {
        li = document.createElement("li");
        li.className = "upload";
        li.setAttribute("data-key", f.key);
        var thumb;
        if (/^image\/(png|jpeg|gif|webp)$/.test(f.file.type) && f.file.size <= 8e6) {
          // A data: URL (the page's policy allows data: images, not blob:).
          thumb = document.createElement("img");
          thumb.className = "upload-thumb";
          thumb.alt = "";
          var reader = new FileReader();
          reader.onload = function () { thumb.src = reader.result; };
          reader.readAsDataURL(f.file);
        } else {
          thumb = document.createElement("span");
          thumb.className = "upload-icon";
          var ext = (/\.([a-z0-9]{1,4})$/i.exec(f.file.name) || [, "?"])[1];
          thumb.textContent = f.voice ? "🎤" : ext.toUpperCase();
        }
        var text = document.createElement("span");
        text.className = "upload-text";
        var name = document.createElement("span");
        name.className = "upload-name";
        name.textContent = f.voice ? (ul.getAttribute("data-voice") + " · " + f.file.name) : f.file.name;
        var sz = document.createElement("span");
        sz.className = "upload-size";
        sz.textContent = size(f.file.size);
        var bar = document.createElement("progress");
        bar.className = "upload-progress";
        bar.max = 100;
        var cap = document.createElement("input");
        cap.type = "text";
        cap.className = "upload-caption";
        cap.maxLength = 1000;
        cap.placeholder = ul.getAttribute("data-caption");
        cap.setAttribute("aria-label", ul.getAttribute("data-caption") + ": " + f.file.name);
        cap.addEventListener("input", function () { f.caption = cap.value; sync(form); });
        cap.addEventListener("keydown", function (ev) { if (ev.key === "Enter") ev.preventDefault(); });
        text.append(name, sz, bar, cap);
        var rm = document.createElement("button");
        rm.type = "button";
        rm.className = "upload-remove";
        rm.textContent = "×";
        rm.title = fmt(ul.getAttribute("data-remove"), { name: f.file.name });
        rm.setAttribute("aria-label", rm.title);
        rm.addEventListener("click", function () {
          if (f.xhr) f.xhr.abort();
          var items = list(form);
          items.splice(items.indexOf(f), 1);
          sync(form);
        });
        li.append(thumb, text, rm);
        ul.appendChild(li);
      }
      var bar = li.querySelector(".upload-progress");
      bar.value = f.progress || 0;
      bar.hidden = !!f.id;
      li.classList.toggle("is-uploading", !f.id);
      var cap = li.querySelector(".upload-caption");
      cap.hidden = !f.id;
      if (cap.value !== (f.caption || "")) cap.value = f.caption || "";
    });
  }

  function add(form, file, voice) {
    var ul = document.getElementById("upload-list");
    var limit = Number(form.getAttribute("data-upload-limit")) || 0;
    var items = list(form);
    if (items.length >= MAX_FILES) { showError(form, ul.getAttribute("data-too-many")); return; }
    if (limit && file.size > limit) {
      showError(form, fmt(ul.getAttribute("data-too-large"), { name: file.name, size: size(file.size) }));
      return;
    }
    showError(form, "");
    var f = { key: "u" + (++seq), file: file, voice: !!voice, progress: 0, id: null, caption: "" };
    items.push(f);
    sync(form);
    var csrf = form.querySelector('input[name="csrf"]');
    var data = new FormData();
    data.append("voice", voice ? "1" : "0");
    data.append("file", file, file.name || "file");
    var xhr = new XMLHttpRequest();
    f.xhr = xhr;
    xhr.open("POST", form.getAttribute("data-uploads"));
    xhr.setRequestHeader("X-CSRF-Token", csrf ? csrf.value : "");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) { f.progress = Math.round(ev.loaded * 100 / ev.total); render(form); }
    });
    xhr.addEventListener("load", function () {
      f.xhr = null;
      var r = xhr.response || {};
      if (xhr.status === 201 && r.id) {
        f.id = r.id;
        f.progress = 100;
      } else {
        var items = list(form);
        items.splice(items.indexOf(f), 1);
        showError(form, r.error || fmt(ul.getAttribute("data-failed"), { name: file.name, reason: xhr.status }));
      }
      sync(form);
    });
    xhr.addEventListener("error", function () {
      f.xhr = null;
      var items = list(form);
      if (items.indexOf(f) >= 0) items.splice(items.indexOf(f), 1);
      showError(form, fmt(ul.getAttribute("data-failed"), { name: file.name, reason: "network" }));
      sync(form);
    });
    xhr.send(data);
  }

  function addAll(fileList) {
    var form = composer();
    if (!form || !fileList) return;
    Array.prototype.forEach.call(fileList, function (file) { add(form, file, false); });
  }

  document.addEventListener("change", function (ev) {
    if (ev.target && ev.target.id === "upload-input") {
      addAll(ev.target.files);
      ev.target.value = "";
    }
  });

  // Drag and drop onto the conversation.
  function inPane(el) { return el && el.closest && el.closest("#pane"); }
  function hasFiles(ev) {
    return ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types || [], "Files") >= 0;
  }
  document.addEventListener("dragover", function (ev) {
    if (!inPane(ev.target) || !composer() || !hasFiles(ev)) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "copy";
    document.getElementById("pane").classList.add("is-dropping");
  });
  document.addEventListener("dragleave", function (ev) {
    if (ev.target && ev.target.id === "pane") ev.target.classList.remove("is-dropping");
  });
  document.addEventListener("drop", function (ev) {
    var pane = document.getElementById("pane");
    if (pane) pane.classList.remove("is-dropping");
    if (!inPane(ev.target) || !composer() || !hasFiles(ev)) return;
    ev.preventDefault();
    addAll(ev.dataTransfer.files);
  });

  // Paste from the clipboard into the composer.
  document.addEventListener("paste", function (ev) {
    var form = composer();
    if (!form || !form.contains(ev.target) || !ev.clipboardData) return;
    var pasted = Array.prototype.filter.call(ev.clipboardData.items || [], function (i) { return i.kind === "file"; })
      .map(function (i) { return i.getAsFile(); }).filter(Boolean);
    if (!pasted.length) return;
    ev.preventDefault();
    pasted.forEach(function (file) {
      if (!file.name || file.name === "image.png") {
        var ext = (file.type.split("/")[1] || "bin").replace("jpeg", "jpg");
        file = new File([file], "pasted-" + new Date().toISOString().replace(/[:.]/g, "-") + "." + ext, { type: file.type });
      }
      add(form, file, false);
    });
  });

  // Files handed over by other composer parts (the voice recorder).
  document.addEventListener("charla:attach", function (ev) {
    var form = composer();
    if (!form || ev.target !== form || !ev.detail || !ev.detail.file) return;
    add(form, ev.detail.file, !!ev.detail.voice);
  }, true);

  // Not while files are still uploading.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form || form.id !== "composer") return;
    var pending = list(form).some(function (f) { return !f.id; });
    if (pending) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      showError(form, document.getElementById("upload-list").getAttribute("data-wait"));
    }
  }, true);

  // A message sent: its files are gone from the composer (before the swap: the old form
  // is detached after it, and its events no longer reach the page). A redrawn pane:
  // draw them again.
  document.body.addEventListener("htmx:beforeSwap", function (ev) {
    var d = ev.detail || {};
    var elt = d.requestConfig && d.requestConfig.elt;
    if (elt && elt.id === "composer" && d.xhr && d.xhr.status >= 200 && d.xhr.status < 300) {
      files[convOf(elt)] = [];
    }
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    var form = composer();
    if (form) sync(form);
  });
})();
