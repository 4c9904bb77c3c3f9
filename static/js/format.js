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
})();
