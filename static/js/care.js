// Sending with care in the composer (see templates/inbox/_composer.html):
// - Undo send: a reply waits the agent's chosen seconds, with "Undo" and a countdown,
//   before it is posted; Undo gives the composer back as it was. Notes, scheduled
//   replies and "Send anyway" go at once. Leaving the page during the wait sends the
//   reply then (a keepalive POST on pagehide): the agent pressed Send, so it goes.
// - Conflict guard: `seen` keeps the newest message shown when the agent began typing,
//   across live refreshes of the pane, so the server can tell what arrived since; its
//   answer ("Send anyway" / "Edit") lands in #care-conflict.
(function () {
  "use strict";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  function composer() { return document.getElementById("composer"); }
  function convOf(form) { return form ? form.getAttribute("data-conversation") : null; }
  function field(form, name) { return form.elements.namedItem(name); }
  function toast() { return document.getElementById("care-undo"); }

  // --- Conflict guard: `seen` from when typing began ---------------------------------
  var seenAt = {};
  document.addEventListener("input", function (ev) {
    var box = ev.target;
    if (!box || box.id !== "composer-text") return;
    var form = box.form, id = convOf(form);
    if (!box.value.trim()) { delete seenAt[id]; return; }
    if (!(id in seenAt)) seenAt[id] = field(form, "seen").value;
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    var form = composer();
    if (!form) return;
    var id = convOf(form), box = field(form, "content");
    if (box.value.trim() && id in seenAt) field(form, "seen").value = seenAt[id];
    else if (!box.value.trim()) delete seenAt[id];
    if (pending && pending.conv === id) lock(form, true);
  });
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("[data-care-force], [data-care-edit]");
    var form = composer();
    if (!b || !form) return;
    var box = $("#care-conflict .conflict");
    var newest = box ? box.getAttribute("data-newest") : null;
    if (newest) { field(form, "seen").value = newest; seenAt[convOf(form)] = newest; }
    $("#care-conflict").innerHTML = "";
    if (b.hasAttribute("data-care-force")) {
      field(form, "force").value = "1";
      form.dataset.careGo = "1";
      form.requestSubmit($("#send", form));
    } else {
      field(form, "content").focus();
    }
  });

  // --- Undo send ----------------------------------------------------------------------
  var pending = null;
  function lock(form, on) {
    var box = field(form, "content");
    box.readOnly = on;
    form.classList.toggle("is-pending", on);
  }
  function show(p) {
    var t = toast();
    if (!t) return;
    $(".care-undo-text", t).textContent = (t.getAttribute("data-sending") || "").replace("%s", String(p.left));
    t.classList.remove("is-done");
    t.hidden = false;
  }
  function hide(words) {
    var t = toast();
    if (!t) return;
    if (words) {
      $(".care-undo-text", t).textContent = words;
      t.classList.add("is-done");
      setTimeout(function () { if (!pending) { t.hidden = true; t.classList.remove("is-done"); } }, 4000);
    } else t.hidden = true;
  }
  // Posts a held reply without the page (it was left, or the composer changed).
  function post(p, keepalive) {
    p.body.delete("seen");
    return fetch(p.url, { method: "POST", body: p.body, credentials: "same-origin", keepalive: keepalive, redirect: "manual" }).catch(function () {});
  }
  function go() {
    var p = pending;
    if (!p) return;
    clearInterval(p.timer);
    pending = null;
    hide();
    var form = composer();
    if (form && convOf(form) === p.conv && field(form, "content").value === p.text) {
      lock(form, false);
      form.dataset.careGo = "1";
      form.requestSubmit($("#send", form));
    } else {
      post(p, false);
    }
  }
  function undo() {
    var p = pending;
    if (!p) return;
    clearInterval(p.timer);
    pending = null;
    var t = toast();
    hide(t && t.getAttribute("data-restored"));
    var form = composer();
    if (!form || convOf(form) !== p.conv) return;
    lock(form, false);
    var box = field(form, "content");
    box.value = p.text;
    var mode = $('input[name="mode"][value="' + p.mode + '"]', form);
    if (mode && !mode.checked) { mode.checked = true; mode.dispatchEvent(new Event("change", { bubbles: true })); }
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form || form.id !== "composer") return;
    if (form.dataset.careGo) { delete form.dataset.careGo; return; }
    if (pending) { ev.preventDefault(); ev.stopImmediatePropagation(); return; }
    var t = toast();
    var secs = t ? Number(t.getAttribute("data-seconds") || 0) : 0;
    var mode = $('input[name="mode"]:checked', form);
    var later = ev.submitter && ev.submitter.name === "schedule";
    if (later || secs <= 0 || (mode && mode.value === "note") || !field(form, "content").value.trim()) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    var p = {
      conv: convOf(form),
      url: form.getAttribute("action"),
      body: new URLSearchParams(new FormData(form)),
      text: field(form, "content").value,
      mode: mode ? mode.value : "reply",
      left: secs
    };
    pending = p;
    lock(form, true);
    show(p);
    p.timer = setInterval(function () {
      p.left -= 1;
      if (p.left <= 0) go(); else show(p);
    }, 1000);
  }, true);
  document.addEventListener("click", function (ev) {
    if (ev.target.closest && ev.target.closest("[data-care-undo]")) undo();
    else if (ev.target.closest && ev.target.closest("[data-care-now]")) go();
  });
  document.addEventListener("keydown", function (ev) {
    // Ctrl/Cmd+Z while a reply waits: undo it.
    if (pending && (ev.ctrlKey || ev.metaKey) && ev.key === "z") { ev.preventDefault(); undo(); }
  });
  window.addEventListener("pagehide", function () {
    var p = pending;
    if (!p) return;
    clearInterval(p.timer);
    pending = null;
    post(p, true);
  });
})();
