// Saved responses in the composer: a picker (button, grouped by category, with a
// search field) and a short list that "/" at the start of a word opens; both are
// listboxes driven by aria-activedescendant (arrow keys move, Enter inserts, Escape
// closes). Bodies come filled for the conversation from the server; a variable left
// without a value stays in the text, selected and named below the composer.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var cache = { src: null, list: null, pending: null };
  // Known variables the server refuses to send unfilled.
  var KNOWN = /\{\{\s*(contact\.[\w.\-]+|agent\.name|inbox\.name)\s*\}\}/g;

  function picker() { return $("saved-picker"); }
  function box() { return $("composer-text"); }

  function load() {
    var p = picker();
    if (!p) return Promise.resolve([]);
    var src = p.getAttribute("data-src");
    if (cache.src === src && cache.list) return Promise.resolve(cache.list);
    if (cache.src === src && cache.pending) return cache.pending;
    cache = { src: src, list: null, pending: null };
    cache.pending = fetch(src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (v) {
        if (cache.src === src) { cache.list = v.saved_responses || []; cache.pending = null; }
        return v.saved_responses || [];
      }, function (e) { cache.pending = null; throw e; });
    return cache.pending;
  }

  function matches(r, q) {
    if (!q) return true;
    q = q.toLowerCase();
    return r.shortcut.toLowerCase().indexOf(q) === 0 || r.title.toLowerCase().indexOf(q) !== -1 ||
      (r.category || "").toLowerCase().indexOf(q) !== -1;
  }

  // One option: title, shortcut and the first words of the filled text.
  function option(r, id) {
    var o = document.createElement("li");
    o.setAttribute("role", "option");
    o.id = id;
    o.className = "saved-option";
    o.setAttribute("aria-selected", "false");
    o.setAttribute("data-id", String(r.id));
    var head = document.createElement("span");
    head.className = "saved-option-head";
    var t = document.createElement("strong");
    t.textContent = r.title;
    head.appendChild(t);
    if (r.shortcut) {
      var c = document.createElement("code");
      c.textContent = "/" + r.shortcut;
      head.appendChild(c);
    }
    if (!r.shared) {
      var m = document.createElement("span");
      m.className = "saved-mine";
      m.textContent = picker().getAttribute("data-mine") || "";
      head.appendChild(m);
    }
    o.appendChild(head);
    var b = document.createElement("span");
    b.className = "saved-option-body";
    b.textContent = r.body;
    o.appendChild(b);
    return o;
  }

  function note(list, text) {
    list.textContent = "";
    var li = document.createElement("li");
    li.className = "saved-note";
    li.setAttribute("role", "presentation");
    li.textContent = text;
    list.appendChild(li);
  }

  // Fills `list` with the responses matching `q`; grouped by category when asked.
  function render(list, all, q, grouped, limit) {
    list.textContent = "";
    var hits = all.filter(function (r) { return matches(r, q); });
    if (limit) hits = hits.slice(0, limit);
    if (!hits.length) { note(list, picker().getAttribute("data-empty")); return []; }
    var shown = [];
    if (!grouped) {
      hits.forEach(function (r, i) { list.appendChild(option(r, list.id + "-" + i)); shown.push(r); });
      return shown;
    }
    var groups = [];
    hits.forEach(function (r) {
      var name = r.category || picker().getAttribute("data-other");
      var g = groups.find(function (x) { return x.name === name; });
      if (!g) { g = { name: name, items: [] }; groups.push(g); }
      g.items.push(r);
    });
    groups.forEach(function (g, gi) {
      var ul = document.createElement("ul");
      ul.setAttribute("role", "group");
      ul.className = "saved-group";
      var label = document.createElement("li");
      label.setAttribute("role", "presentation");
      label.className = "saved-group-name";
      label.id = list.id + "-g" + gi;
      label.textContent = g.name;
      ul.setAttribute("aria-labelledby", label.id);
      ul.appendChild(label);
      g.items.forEach(function (r) {
        ul.appendChild(option(r, list.id + "-" + shown.length));
        shown.push(r);
      });
      list.appendChild(ul);
    });
    return shown;
  }

  // The keyboard's place in a list: `owner` carries aria-activedescendant.
  function setActive(list, owner, i) {
    var opts = list.querySelectorAll("[role=option]");
    if (!opts.length) { owner.removeAttribute("aria-activedescendant"); return -1; }
    i = (i + opts.length) % opts.length;
    Array.prototype.forEach.call(opts, function (o, k) {
      o.setAttribute("aria-selected", k === i ? "true" : "false");
      o.classList.toggle("is-active", k === i);
    });
    owner.setAttribute("aria-activedescendant", opts[i].id);
    opts[i].scrollIntoView({ block: "nearest" });
    return i;
  }

  // Unfilled known variables: named under the composer, the text box marked.
  function showMissing() {
    var b = box(), out = $("saved-missing");
    if (!b || !out) return;
    var seen = [];
    (b.value.match(KNOWN) || []).forEach(function (m) { if (seen.indexOf(m) === -1) seen.push(m); });
    b.classList.toggle("has-unfilled", seen.length > 0);
    out.classList.remove("is-error");
    if (!seen.length) { out.hidden = true; out.textContent = ""; return; }
    out.hidden = false;
    out.textContent = picker().getAttribute("data-missing") + " ";
    seen.forEach(function (m, i) {
      var c = document.createElement("mark");
      c.textContent = m;
      out.appendChild(c);
      if (i < seen.length - 1) out.appendChild(document.createTextNode(" "));
    });
  }

  // Puts `r`'s filled text in place of [start, end) and selects the first variable
  // left to fill, if any.
  function insert(r, start, end) {
    var b = box();
    if (!b) return;
    var text = r.body;
    b.value = b.value.slice(0, start) + text + b.value.slice(end);
    b.focus();
    var hole = text.search(/\{\{[^{}]+\}\}/);
    if (hole !== -1) {
      var len = text.slice(hole).indexOf("}}") + 2;
      b.setSelectionRange(start + hole, start + hole + len);
    } else {
      b.setSelectionRange(start + text.length, start + text.length);
    }
    b.dispatchEvent(new Event("input", { bubbles: true }));
    showMissing();
  }

  // The "/" list.
  var slash = null; // { start, shown, active }
  function closeSlash() {
    var l = $("saved-slash"), b = box();
    if (l) { l.hidden = true; l.textContent = ""; }
    if (b) { b.removeAttribute("aria-activedescendant"); b.setAttribute("aria-expanded", "false"); }
    slash = null;
  }
  function openSlash(start, q) {
    var l = $("saved-slash"), b = box();
    load().then(function (all) {
      if (box() !== b || !b) return;
      var shown = render(l, all, q, false, 8);
      l.hidden = false;
      b.setAttribute("aria-controls", "saved-slash");
      b.setAttribute("aria-expanded", "true");
      slash = { start: start, shown: shown, active: shown.length ? setActive(l, b, 0) : -1 };
    }, function () { note(l, picker().getAttribute("data-failed")); l.hidden = false; });
  }
  document.addEventListener("input", function (ev) {
    var b = ev.target;
    if (b.id !== "composer-text") return;
    showMissing();
    var before = b.value.slice(0, b.selectionStart);
    var m = /(^|\s)\/([^\s\/]{0,30})$/.exec(before);
    if (!m) { if (slash) closeSlash(); return; }
    openSlash(before.length - m[2].length - 1, m[2]);
  });
  document.addEventListener("click", function (ev) {
    var o = ev.target.closest && ev.target.closest("#saved-slash [role=option]");
    if (o && slash) {
      var r = slash.shown[parseInt(o.id.split("-").pop(), 10)];
      var b = box();
      if (r && b) insert(r, slash.start, b.selectionStart);
      closeSlash();
      return;
    }
    if (slash && !(ev.target.closest && ev.target.closest("#saved-slash, #composer-text"))) closeSlash();
  });
  // Capture: before the composer's own Enter-to-send.
  document.addEventListener("keydown", function (ev) {
    if (ev.target.id !== "composer-text" || !slash || ev.isComposing) return;
    var l = $("saved-slash"), b = ev.target;
    switch (ev.key) {
      case "ArrowDown": slash.active = setActive(l, b, slash.active + 1); break;
      case "ArrowUp": slash.active = setActive(l, b, slash.active - 1); break;
      case "Enter": case "Tab": {
        var r = slash.shown[slash.active];
        if (!r) { closeSlash(); return; }
        insert(r, slash.start, b.selectionStart);
        closeSlash();
        break;
      }
      case "Escape": closeSlash(); break;
      default: return;
    }
    ev.preventDefault();
    ev.stopImmediatePropagation();
  }, true);

  // The picker.
  var panel = null; // { shown, active }
  function closePanel(focusButton) {
    var p = $("saved-panel"), btn = $("saved-open");
    if (p) p.hidden = true;
    if (btn) btn.setAttribute("aria-expanded", "false");
    panel = null;
    if (focusButton && btn) btn.focus();
  }
  function renderPanel() {
    var l = $("saved-options"), s = $("saved-search");
    load().then(function (all) {
      if (!panel || !l) return;
      panel.shown = render(l, all, s.value.trim(), true, 0);
      panel.active = panel.shown.length ? setActive(l, s, 0) : -1;
    }, function () { note(l, picker().getAttribute("data-failed")); });
  }
  function openPanel() {
    var p = $("saved-panel"), s = $("saved-search"), l = $("saved-options");
    if (!p) return;
    closeSlash();
    p.hidden = false;
    $("saved-open").setAttribute("aria-expanded", "true");
    panel = { shown: [], active: -1 };
    s.value = "";
    note(l, picker().getAttribute("data-loading"));
    s.focus();
    renderPanel();
  }
  function choose(i) {
    var r = panel && panel.shown[i], b = box();
    if (!r || !b) return;
    var start = b.selectionStart, end = b.selectionEnd;
    closePanel(false);
    insert(r, start, end);
  }
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.closest) return;
    if (t.closest("#saved-open")) { if (panel) closePanel(true); else openPanel(); return; }
    var o = t.closest("#saved-options [role=option]");
    if (o) { choose(parseInt(o.id.split("-").pop(), 10)); return; }
    if (panel && !t.closest("#saved-panel")) closePanel(false);
  });
  document.addEventListener("input", function (ev) { if (ev.target.id === "saved-search") renderPanel(); });
  document.addEventListener("keydown", function (ev) {
    if (ev.target.id !== "saved-search" || !panel) return;
    var l = $("saved-options"), s = ev.target;
    switch (ev.key) {
      case "ArrowDown": panel.active = setActive(l, s, panel.active + 1); break;
      case "ArrowUp": panel.active = setActive(l, s, panel.active - 1); break;
      case "Enter": choose(panel.active); break;
      case "Escape": closePanel(true); break;
      default: return;
    }
    ev.preventDefault();
    ev.stopImmediatePropagation();
  }, true);

  // A refused send (an unfilled variable, a closed window): its reason under the composer.
  document.addEventListener("htmx:responseError", function (ev) {
    var elt = ev.detail && ev.detail.elt, out = $("saved-missing");
    if (!elt || elt.id !== "composer" || !out) return;
    var doc = new DOMParser().parseFromString(ev.detail.xhr.responseText || "", "text/html");
    var msg = doc.getElementById("error-message");
    if (!msg) return;
    out.textContent = msg.textContent;
    out.classList.add("is-error");
    out.hidden = false;
  });
  // A new pane: its lists start closed (the conversation may differ).
  document.addEventListener("htmx:afterSwap", function () { slash = null; panel = null; showMissing(); });
})();

// Templates: the + menu's "Send template" opens a dialog with the template's fields
// prefilled from the contact and a live preview of exactly what the customer
// receives; nothing is sent until the agent confirms.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var list = [];
  var PLACE = /\{\{\s*([\w.\-]+)\s*\}\}/g;

  function current() {
    var sel = $("template-choice");
    return list.find(function (t) { return String(t.id) === (sel && sel.value); });
  }
  function values() {
    var v = {};
    Array.prototype.forEach.call(document.querySelectorAll("#template-fields input"), function (i) {
      v[i.getAttribute("data-field")] = i.value;
    });
    return v;
  }
  // The same filling as the server: a field without a value keeps its placeholder.
  function fill(text, v) {
    return text.replace(PLACE, function (all, name) {
      var x = (v[name] || "").trim();
      return x ? x : all;
    });
  }
  function preview() {
    var t = current(), v = values();
    if (!t) return;
    var subj = $("template-subject");
    subj.hidden = !t.subject;
    subj.textContent = t.subject ? fill(t.subject, v) : "";
    // A WhatsApp template's text header (its {{1}} is the "header.1" field) and footer
    // frame the body as the customer sees them.
    var head = t.header ? fill(t.header.replace(/\{\{\s*1\s*\}\}/, "{{header.1}}"), v) + "\n\n" : "";
    var foot = t.footer ? "\n\n" + t.footer : "";
    $("template-text").textContent = head + fill(t.body, v) + foot;
  }
  function showFields() {
    var t = current(), box = $("template-fields");
    box.textContent = "";
    if (!t) return;
    // A WhatsApp approved template cannot be scheduled: its "When" goes.
    var when = $("template-when"), row = when && when.closest(".template-when");
    if (row) {
      row.hidden = !!t.approved;
      if (t.approved && when.value) {
        when.value = "";
        when.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    t.fields.forEach(function (f, i) {
      var label = document.createElement("label");
      label.textContent = f.label || f.name;
      var input = document.createElement("input");
      if (f.placeholder) input.placeholder = f.placeholder;
      input.id = "template-field-" + i;
      input.setAttribute("data-field", f.name);
      input.value = f.value;
      input.maxLength = 500;
      label.appendChild(input);
      box.appendChild(label);
    });
    preview();
  }
  function open(src) {
    var d = $("template-dialog"), err = $("template-error");
    err.hidden = true;
    fetch(src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (v) {
        list = v.templates || [];
        var sel = $("template-choice");
        sel.textContent = "";
        list.forEach(function (t) {
          var o = document.createElement("option");
          o.value = String(t.id);
          o.textContent = t.name + " (" + t.language + ")";
          sel.appendChild(o);
        });
        $("template-confirm").disabled = !list.length;
        if (!list.length) { err.textContent = d.getAttribute("data-none"); err.hidden = false; }
        showFields();
        d.showModal();
        var first = document.querySelector("#template-fields input") || sel;
        first.focus();
      }, function () { err.textContent = "HTTP error"; err.hidden = false; d.showModal(); });
  }
  function send() {
    var t = current(), form = $("composer"), err = $("template-error");
    if (!t || !form) return;
    var body = new URLSearchParams();
    body.set("csrf", form.querySelector("input[name=csrf]").value);
    body.set("mode", "reply");
    var via = form.querySelector("input[name=via]:checked");
    if (via) body.set("via", via.value);
    body.set("template_id", String(t.id));
    body.set("fields", JSON.stringify(values()));
    // Send later (xfiles): the composer's presets, or a picked time.
    var when = $("template-when");
    if (when && when.value) {
      body.set("schedule", when.value);
      if (when.value === "custom") body.set("send_at_local", $("template-when-at").value);
    }
    $("template-confirm").disabled = true;
    fetch(form.getAttribute("action"), {
      method: "POST", body: body, credentials: "same-origin", headers: { "HX-Request": "true" }
    }).then(function (r) {
      return r.text().then(function (html) {
        $("template-confirm").disabled = false;
        if (r.ok) {
          $("template-dialog").close();
          var pane = $("pane");
          if (pane && window.htmx) window.htmx.swap(pane, html, { swapStyle: "innerHTML" });
          return;
        }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var m = doc.getElementById("error-message");
        err.textContent = m ? m.textContent : String(r.status);
        err.hidden = false;
      });
    }, function () { $("template-confirm").disabled = false; });
  }
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.closest) return;
    var o = t.closest("#template-open, #template-open-closed");
    if (o) {
      var d = o.closest("details");
      if (d) d.open = false;
      open(o.getAttribute("data-src"));
      return;
    }
    if (t.closest("#template-cancel")) { $("template-dialog").close(); return; }
    if (t.closest("#template-confirm")) send();
  });
  document.addEventListener("change", function (ev) {
    if (ev.target.id === "template-choice") showFields();
    if (ev.target.id === "template-when") {
      $("template-when-pick").hidden = ev.target.value !== "custom";
      var b = $("template-confirm");
      b.textContent = b.getAttribute(ev.target.value ? "data-later" : "data-now");
    }
  });
  document.addEventListener("input", function (ev) {
    if (ev.target.closest && ev.target.closest("#template-fields")) preview();
  });
})();
