// The composer's formatting toolbar and shortcuts: Markdown markers around the
// selection of the plain textarea (bold, italic, strikethrough, code, link, lists), from
// the buttons and Ctrl/Cmd+B, I, K. The server renders the Markdown for each channel.
(function () {
  "use strict";

  var MARKS = { bold: "**", italic: "_", strike: "~~", code: "`" };

  function box() { return document.getElementById("composer-text"); }

  // Replaces the box's [s, e) with `text` as typing would (the browser's undo keeps it),
  // then selects [selS, selE) and tells the page (drafts, mentions) it changed.
  function put(b, s, e, text, selS, selE) {
    b.focus();
    b.setSelectionRange(s, e);
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (x) { done = false; }
    if (!done || b.value.slice(s, s + text.length) !== text) {
      b.setRangeText(text, s, e, "end");
      b.dispatchEvent(new Event("input", { bubbles: true }));
    }
    b.setSelectionRange(selS, selE);
  }

  // Wraps the selection in `m` (or unwraps it when it is wrapped already); with nothing
  // selected, puts a word to type over between the markers.
  function wrap(b, m, word) {
    var s = b.selectionStart, e = b.selectionEnd, v = b.value;
    var sel = v.slice(s, e);
    // Spaces selected at the ends stay outside the markers ("**x** ", not "**x **").
    var lead = sel.length - sel.replace(/^\s+/, "").length;
    var trail = sel.length - sel.replace(/\s+$/, "").length;
    if (sel.trim()) { s += lead; e -= trail; sel = v.slice(s, e); }
    if (sel && v.slice(s - m.length, s) === m && v.slice(e, e + m.length) === m) {
      put(b, s - m.length, e + m.length, sel, s - m.length, e - m.length);
      return;
    }
    if (sel.length > 2 * m.length && sel.slice(0, m.length) === m && sel.slice(-m.length) === m) {
      var inner = sel.slice(m.length, -m.length);
      put(b, s, e, inner, s, s + inner.length);
      return;
    }
    var text = sel || word;
    put(b, s, e, m + text + m, s + m.length, s + m.length + text.length);
  }

  // A URL as typed: web and mail addresses only ("example.com" gets https://).
  function url(raw) {
    var u = (raw || "").trim();
    if (!u) return null;
    if (/^(https?:\/\/|mailto:)\S+$/i.test(u)) return u;
    if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(u)) return "mailto:" + u;
    if (/^[^\s:/]+\.[^\s]+$/.test(u)) return "https://" + u;
    return null;
  }

  function link(b, bar) {
    var s = b.selectionStart, e = b.selectionEnd;
    var sel = b.value.slice(s, e).trim();
    var given = window.prompt(bar.getAttribute("data-link-prompt") || "URL", /^https?:\/\//i.test(sel) ? sel : "https://");
    var u = url(given);
    if (!u) { b.focus(); b.setSelectionRange(s, e); return; }
    var text = sel && !/^https?:\/\//i.test(sel) ? sel : bar.getAttribute("data-link-text") || "link";
    var md = "[" + text.replace(/[\[\]]/g, "") + "](" + u.replace(/[()\s]/g, encodeURIComponent) + ")";
    put(b, s, e, md, s + 1, s + 1 + text.replace(/[\[\]]/g, "").length);
  }

  // Turns the selected lines into a list (or back into lines when they are one).
  function list(b, ordered) {
    var v = b.value, s = b.selectionStart, e = b.selectionEnd;
    var from = v.lastIndexOf("\n", s - 1) + 1;
    var to = v.indexOf("\n", e);
    if (to < 0) to = v.length;
    var lines = v.slice(from, to).split("\n");
    var re = ordered ? /^\d{1,9}[.)] / : /^[-*+] /;
    var all = lines.every(function (l) { return re.test(l); });
    var n = 0;
    var out = lines.map(function (l) {
      if (all) return l.replace(re, "");
      var bare = l.replace(/^(\d{1,9}[.)]|[-*+]) /, "");
      if (!bare.trim() && lines.length > 1) return l;
      n += 1;
      return (ordered ? n + ". " : "- ") + bare;
    }).join("\n");
    put(b, from, to, out, from + out.length, from + out.length);
  }

  function apply(kind) {
    var b = box(), bar = document.querySelector(".format-bar");
    if (!b || !bar) return;
    var word = bar.getAttribute("data-word") || "text";
    if (MARKS[kind]) wrap(b, MARKS[kind], word);
    else if (kind === "link") link(b, bar);
    else if (kind === "ul" || kind === "ol") list(b, kind === "ol");
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest(".format-bar [data-format]");
    if (!btn) return;
    ev.preventDefault();
    apply(btn.getAttribute("data-format"));
  });

  document.addEventListener("keydown", function (ev) {
    if (!ev.target || ev.target.id !== "composer-text") return;
    if (!(ev.ctrlKey || ev.metaKey) || ev.altKey || ev.shiftKey) return;
    var kind = { b: "bold", i: "italic", k: "link" }[(ev.key || "").toLowerCase()];
    if (!kind) return;
    ev.preventDefault();
    apply(kind);
  });

  // ---- Emoji picker: the full Unicode set (static/emoji/emoji.json, built by
  // scripts/emoji.py), fetched the first time the picker opens, searchable in English
  // and Spanish, with the recently used first (kept in this browser).
  var RECENT_KEY = "charla.emoji.recent", RECENT_MAX = 24, SHOWN_MAX = 400;
  var data = null, loading = null;
  function recent() {
    try { var r = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]"); return Array.isArray(r) ? r.filter(function (x) { return typeof x === "string"; }) : []; } catch (e) { return []; }
  }
  function remember(e) {
    var r = recent().filter(function (x) { return x !== e; });
    r.unshift(e);
    try { localStorage.setItem(RECENT_KEY, JSON.stringify(r.slice(0, RECENT_MAX))); } catch (x) { /* private mode: not kept */ }
  }
  function load() {
    if (data || loading) return loading;
    var meta = document.querySelector('meta[name="charla-emoji"]');
    loading = fetch(meta ? meta.content : "/static/emoji/emoji.json", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (d) { data = d; return d; })
      .catch(function (e) { loading = null; throw e; });
    return loading;
  }
  var es = (document.documentElement.lang || "").slice(0, 2) === "es";
  function nameOf(row) { return (es && row[3] ? row[3] : row[2]).split(" ").slice(0, 4).join(" "); }
  function fold(s) { return s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""); }
  function button(e, title) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "emoji-btn";
    b.setAttribute("data-emoji", e);
    b.textContent = e;
    if (title) { b.title = title; b.setAttribute("aria-label", title); }
    return b;
  }
  function section(body, title, rows) {
    if (!rows.length) return;
    var h = document.createElement("div");
    h.className = "emoji-heading";
    h.textContent = title;
    var g = document.createElement("div");
    g.className = "emoji-grid-all";
    g.setAttribute("role", "group");
    g.setAttribute("aria-label", title);
    rows.forEach(function (r) { g.appendChild(button(r[0], r[1])); });
    body.appendChild(h);
    body.appendChild(g);
  }
  function draw(panel) {
    var body = panel.querySelector(".emoji-body"), q = fold(panel.querySelector(".emoji-search").value.trim());
    body.textContent = "";
    if (!data) return;
    var byChar = {};
    data.emoji.forEach(function (r) { byChar[r[0]] = r; });
    if (!q) {
      section(body, panel.getAttribute("data-recent") || "", recent().map(function (e) { return [e, byChar[e] ? nameOf(byChar[e]) : ""]; }));
      data.groups.forEach(function (g, i) {
        section(body, es ? g[2] : g[1], data.emoji.filter(function (r) { return r[1] === i; }).map(function (r) { return [r[0], nameOf(r)]; }));
      });
      return;
    }
    var words = q.split(/\s+/);
    var hits = data.emoji.filter(function (r) {
      var hay = fold(r[2] + " " + r[3]);
      return words.every(function (w) { return hay.indexOf(w) >= 0; });
    });
    // Names that start with what was typed first ("rocket" before "astronaut … rocket").
    var first = function (r) { var en = fold(r[2]), es2 = fold(r[3]); return en.indexOf(words[0]) === 0 || es2.indexOf(words[0]) === 0 ? 0 : 1; };
    hits = hits.map(function (r, i) { return [first(r), i, r]; })
      .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; })
      .map(function (x) { return x[2]; })
      .slice(0, SHOWN_MAX);
    if (!hits.length) {
      var p = document.createElement("p");
      p.className = "emoji-none";
      p.textContent = panel.getAttribute("data-none") || "";
      body.appendChild(p);
      return;
    }
    section(body, "", hits.map(function (r) { return [r[0], nameOf(r)]; }));
  }
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (!d || d.id !== "emoji-picker" || !d.open) return;
    var panel = d.querySelector(".emoji-panel"), body = d.querySelector(".emoji-body"), search = d.querySelector(".emoji-search");
    search.value = "";
    if (!data) body.textContent = panel.getAttribute("data-loading") || "";
    load().then(function () { draw(panel); }, function () { body.textContent = panel.getAttribute("data-failed") || ""; });
    draw(panel);
    search.focus();
  }, true);
  document.addEventListener("input", function (ev) {
    if (ev.target && ev.target.classList && ev.target.classList.contains("emoji-search")) draw(ev.target.closest(".emoji-panel"));
  });
  // Chosen: remembered first (inbox.js inserts it at the caret and closes the picker).
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest(".emoji-panel [data-emoji]");
    if (b) remember(b.getAttribute("data-emoji"));
  }, true);
  // Keyboard: arrows move through the grid, Down from the search enters it, Enter in
  // the search picks the first match, Escape closes and returns to the text.
  document.addEventListener("keydown", function (ev) {
    var panel = ev.target.closest && ev.target.closest(".emoji-panel");
    if (!panel) return;
    var btns = Array.prototype.slice.call(panel.querySelectorAll(".emoji-btn"));
    var i = btns.indexOf(ev.target);
    if (ev.key === "Escape") {
      ev.preventDefault();
      panel.closest("details").open = false;
      var b = box();
      if (b) b.focus();
      return;
    }
    if (ev.target.classList.contains("emoji-search")) {
      if (ev.key === "ArrowDown" && btns[0]) { ev.preventDefault(); btns[0].focus(); }
      if (ev.key === "Enter" && btns[0]) { ev.preventDefault(); btns[0].click(); }
      return;
    }
    if (i < 0) return;
    var grid = ev.target.parentNode, cols = Math.max(1, Math.round(grid.clientWidth / ev.target.offsetWidth));
    var step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols }[ev.key];
    if (!step) return;
    ev.preventDefault();
    var j = i + step;
    if (j < 0) { panel.querySelector(".emoji-search").focus(); return; }
    if (btns[Math.min(j, btns.length - 1)]) btns[Math.min(j, btns.length - 1)].focus();
  });
})();
