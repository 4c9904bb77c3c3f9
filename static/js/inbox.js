// The inbox page's behaviour. htmx does the requests and the live updates (SSE);
// this file adds keyboard shortcuts, the composer and small helpers. Times come from the
// server in the agent's language and time zone; words this file shows come from data-*
// attributes the server wrote in that language.
(function () {
  "use strict";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  // The time left in a messaging window, counted down from what the server said
  // (its clock decides, not this computer's), in the page's words.
  function windowLeft() {
    $$(".window-left[data-left-ms]").forEach(function (s) {
      if (!s.dataset.since) s.dataset.since = String(Date.now());
      var left = Math.max(0, Number(s.dataset.leftMs) - (Date.now() - Number(s.dataset.since)));
      var h = Math.floor(left / 3600000), m = Math.floor((left % 3600000) / 60000);
      var words = h ? s.dataset.leftHm : s.dataset.leftM;
      if (words) s.textContent = words.replace("%h", String(h)).replace("%m", String(m));
    });
  }
  setInterval(windowLeft, 30000);

  function csrf() {
    var i = $('#pane input[name="csrf"]') || $('input[name="csrf"]');
    return i ? i.value : "";
  }

  // Opening a conversation marks it read for me (a POST: GET never changes state).
  // Only when something new came in since the last time: the POST itself makes the
  // server announce the conversation, which refreshes this pane again.
  var lastRead = {};
  function markRead() {
    var conv = $("#pane .conv");
    if (!conv) return;
    var id = conv.getAttribute("data-conversation");
    var ins = $$("#timeline .msg-in");
    var newest = ins.length ? ins[ins.length - 1].getAttribute("data-id") : "none";
    var row = $('.conv-row[data-id="' + id + '"]');
    if (row) row.classList.remove("unread");
    if (lastRead[id] === newest) return;
    lastRead[id] = newest;
    var body = new URLSearchParams({ csrf: csrf() });
    fetch("/conversations/" + id + "/read", { method: "POST", body: body, credentials: "same-origin" });
  }

  function scrollTimeline() {
    var w = $(".timeline-wrap");
    if (w) w.scrollTop = w.scrollHeight;
  }

  // The pane is re-rendered whenever the conversation changes (live updates): keep what
  // the agent was typing, the Reply/Note choice, an open menu and the scroll position.
  var kept = null;
  function keepPane() {
    var box = $("#composer-text");
    var w = $(".timeline-wrap");
    var mode = $('#composer input[name="mode"]:checked');
    kept = {
      id: $("#pane .conv") && $("#pane .conv").getAttribute("data-conversation"),
      text: box ? box.value : "",
      focus: box && document.activeElement === box,
      start: box ? box.selectionStart : 0,
      end: box ? box.selectionEnd : 0,
      mode: mode ? mode.value : "reply",
      open: $$("#pane details[open][id]").map(function (d) { return d.id; }),
      note: $("#close-menu textarea") ? $("#close-menu textarea").value : "",
      frames: $$("#pane iframe.mail-frame").map(function (f) { return [f.name, f.style.height]; }),
      atBottom: !w || w.scrollHeight - w.scrollTop - w.clientHeight < 40,
      scroll: w ? w.scrollTop : 0,
      // The contact form: what was typed and not saved yet, and its "Saved" note.
      contact: $$("#pane .contact-form input").map(function (i) { return i.value !== i.defaultValue ? i.value : null; }),
      saved: $("#pane .saved-note") ? [$("#pane .saved-note").textContent, $("#pane .saved-note").classList.contains("is-error")] : null
    };
  }
  function restorePane() {
    var k = kept;
    kept = null;
    var conv = $("#pane .conv");
    if (!k || !conv || conv.getAttribute("data-conversation") !== k.id) { scrollTimeline(); return; }
    var box = $("#composer-text");
    if (box && k.text && !box.value) {
      box.value = k.text;
      if (k.focus) { box.focus(); box.setSelectionRange(k.start, k.end); }
    } else if (box && k.focus) box.focus();
    // Checked and announced even when the new form came checked already (the box's
    // look and placeholder follow the change event).
    var mode = $('#composer input[value="' + k.mode + '"]');
    if (mode) { mode.checked = true; mode.dispatchEvent(new Event("change", { bubbles: true })); }
    k.open.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
    // A refreshed frame keeps its height while it reloads, so the timeline does not jump.
    k.frames.forEach(function (f) { var el = document.getElementsByName(f[0])[0]; if (el && f[1]) el.style.height = f[1]; });
    var note = $("#close-menu textarea");
    if (note && k.note) note.value = k.note;
    var inputs = $$("#pane .contact-form input");
    if (inputs.length === k.contact.length) k.contact.forEach(function (v, i) { if (v !== null) inputs[i].value = v; });
    var saved = $("#pane .saved-note");
    if (saved && k.saved) { saved.textContent = k.saved[0]; saved.classList.toggle("is-error", k.saved[1]); }
    var w = $(".timeline-wrap");
    if (w) w.scrollTop = k.atBottom ? w.scrollHeight : k.scroll;
  }
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var t = ev.detail && ev.detail.target;
    var verb = ev.detail && ev.detail.requestConfig && ev.detail.requestConfig.verb;
    // A refresh (GET) keeps the draft; an action (POST) answers with the new state.
    if (t && t.id === "pane") { if (verb === "get") keepPane(); else kept = null; }
    // A message just sent from the composer: the new pane keeps Reply or Note as it was
    // (a second note must not go to the customer), with an empty box at the bottom.
    var path = (ev.detail && ev.detail.requestConfig && ev.detail.requestConfig.path) || "";
    if (t && t.id === "pane" && verb === "post" && /\/conversations\/\d+\/messages$/.test(path)) {
      keepPane();
      kept.text = "";
      kept.focus = true;
      kept.open = [];
      kept.atBottom = true;
    }
  });

  // On a phone the views are one row that scrolls sideways: keep the current one in sight.
  function showActiveView() {
    var v = $(".views .view-link.active");
    var bar = $(".views");
    if (v && bar && bar.scrollWidth > bar.clientWidth) bar.scrollLeft = v.offsetLeft - bar.clientWidth / 2 + v.offsetWidth / 2;
  }

  // A mail's HTML version: a sandboxed frame (no scripts run in it) that the page sizes
  // to its content, since it is the same origin. "Load remote images" reloads the frame
  // with them (a plain link targeting the frame, so it works without this script too);
  // remembered per message while the page is open, so a live refresh keeps them.
  var remoteShown = {};
  function sizeFrame(f) {
    var d;
    try { d = f.contentDocument; } catch (e) { return; }
    if (!d || !d.documentElement || !f.offsetParent) return;
    // Measured without a scrollbar (one left from a shorter frame narrows the text), as
    // the root element's own box: its scrollHeight is never less than the frame.
    var root = d.documentElement, max = 4000;
    root.style.overflowY = "hidden";
    var h = Math.ceil(root.getBoundingClientRect().height);
    if (h <= 0) return;
    f.style.height = Math.min(Math.max(h + 2, 60), max) + "px";
    if (h + 2 > max) root.style.overflowY = "auto";
  }
  function sizeSoon(f) {
    sizeFrame(f);
    [200, 1000, 3000].forEach(function (ms) { setTimeout(function () { sizeFrame(f); }, ms); });
  }
  document.addEventListener("load", function (ev) {
    var f = ev.target;
    if (f && f.matches && f.matches("iframe.mail-frame")) sizeSoon(f);
  }, true);
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (d && d.open && d.matches && d.matches("details.mail-html")) $$("iframe.mail-frame", d).forEach(sizeSoon);
  }, true);
  function markRemote(link) {
    var note = document.createElement("span");
    note.className = "remote-loaded";
    note.textContent = link.getAttribute("data-loaded-text") || "";
    var hint = link.parentNode && $(".remote-hint", link.parentNode);
    if (hint) hint.remove();
    link.replaceWith(note);
  }
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[data-remote-images]");
    if (!a) return;
    remoteShown[a.getAttribute("data-remote-images")] = true;
    setTimeout(function () { markRemote(a); }, 0);
  });
  function restoreRemote(root) {
    $$("a[data-remote-images]", root).forEach(function (a) {
      if (!remoteShown[a.getAttribute("data-remote-images")]) return;
      var f = document.getElementsByName(a.getAttribute("target"))[0];
      if (f) f.src = a.getAttribute("href");
      markRemote(a);
    });
  }

  function setup(root) {
    restoreRemote(root);
    if (root === document || root.id === "views") showActiveView();
    if (root === document || (root.id === "pane") || $(".conv", root)) {
      if (kept) restorePane(); else scrollTimeline();
      markRead();
    }
  }

  // Live updates. The server sends `list` when any conversation I can see changes,
  // `conv-{id}` for one conversation and `presence` when someone comes or goes; each
  // reloads its part of the page with an "inbox:refresh" event (see page.html). At most
  // one reload per part every 400 ms, and always one after the last event, so a burst
  // never leaves a stale list behind.
  function refresher(selector) {
    var timer = null, again = false;
    function fire() {
      var el = $(selector);
      if (el && window.htmx) window.htmx.trigger(el, "inbox:refresh");
    }
    function tick() {
      if (again) { again = false; fire(); timer = setTimeout(tick, 400); } else timer = null;
    }
    return function () {
      if (timer) { again = true; return; }
      fire();
      timer = setTimeout(tick, 400);
    };
  }
  var refreshList = refresher("#list"), refreshViews = refresher("#views"),
    refreshPane = refresher("#pane[hx-get]"), refreshPresence = refresher("#presence");
  function live(state, word) {
    var inbox = $("#inbox");
    if (!inbox) return;
    inbox.setAttribute("data-live", state);
    var t = $(".live-text", inbox);
    if (t && t.getAttribute(word)) t.textContent = t.getAttribute(word);
  }
  // Website chats: show "… is typing" while the visitor types (hidden after 6 s without
  // news), and tell the visitor while the agent types a reply.
  var typingTimer = null;
  function visitorTyping(on) {
    var el = $("#typing-indicator");
    if (!el) return;
    el.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { el.hidden = true; }, 6000);
  }
  var sentTyping = 0, idleTimer = null;
  function postTyping(form, active) {
    var csrf = $("input[name=csrf]", form);
    var body = new URLSearchParams({ csrf: csrf ? csrf.value : "", active: active ? "1" : "0" });
    fetch(form.getAttribute("data-typing"), { method: "POST", body: body, credentials: "same-origin" }).catch(function () {});
  }
  document.addEventListener("input", function (ev) {
    var form = ev.target && ev.target.form;
    if (!form || !form.matches("[data-typing]") || ev.target.name !== "content") return;
    var mode = $("input[name=mode]:checked", form);
    if (mode && mode.value === "note") return;
    var now = Date.now();
    if (now - sentTyping > 3000) { sentTyping = now; postTyping(form, true); }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () { sentTyping = 0; postTyping(form, false); }, 4000);
  });
  document.addEventListener("submit", function (ev) {
    if (ev.target && ev.target.matches && ev.target.matches("[data-typing]") && sentTyping) {
      clearTimeout(idleTimer); sentTyping = 0; postTyping(ev.target, false);
    }
  }, true);

  // The live stream is closed when the page is left (a page kept in the back/forward
  // cache would hold it, and a browser opens only six connections to one server); a page
  // shown again from that cache reloads, as its lists are stale anyway.
  var liveSource = null;
  window.addEventListener("pagehide", function () { if (liveSource) { liveSource.close(); liveSource = null; } });
  window.addEventListener("pageshow", function (ev) { if (ev.persisted && $("#inbox")) location.reload(); });

  var opened = 0;
  document.addEventListener("htmx:sseOpen", function (ev) {
    var source = ev.detail && ev.detail.source;
    liveSource = source || liveSource;
    var inbox = $("#inbox");
    if (source && !source.charlaListening) {
      source.charlaListening = true;
      source.addEventListener("list", function () { refreshList(); refreshViews(); });
      source.addEventListener("presence", refreshPresence);
      var sel = inbox && inbox.getAttribute("data-selected");
      if (sel) source.addEventListener("conv-" + sel, refreshPane);
      if (sel) source.addEventListener("typing-" + sel, function (ev) { visitorTyping(ev.data === "1"); });
    }
    // Catch up on whatever happened while the stream was not connected: between this
    // page being rendered and the first connection, or during an outage.
    refreshList(); refreshViews();
    if (opened++ > 0) { refreshPane(); refreshPresence(); }
    live("open", "data-live");
  });
  document.addEventListener("htmx:sseError", function () { live("error", "data-reconnecting"); });

  document.addEventListener("DOMContentLoaded", function () { setup(document); });
  document.body.addEventListener("htmx:afterSwap", function (ev) {
    var target = ev.detail && ev.detail.target;
    if (!target) return;
    if (target.id === "pane" || target.id === "views") setup(target);
    var sel = $("#inbox") && $("#inbox").getAttribute("data-selected");
    if (sel && target.id === "list") {
      var row = $('.conv-row[data-id="' + sel + '"]');
      if (row) row.classList.add("selected");
    }
  });

  // Selects that save on change (assignee, team).
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("select[data-autosubmit]")) el.form.requestSubmit();
    var auto = el.form && el.form.matches("[data-autosave]") ? el.form : null;
    if (auto) autosave(auto);
  });

  // The contact form saves on every change and on its button: "Saving…", then "Saved ·
  // 10:42" only once the server has kept it, or "Not saved" (what was typed stays). The
  // answer updates the note of the form on the page when it arrives, even if a live
  // refresh replaced the form meanwhile (restorePane keeps the note and the values).
  function saveNote(text, error) {
    var n = $("#pane .contact-form .saved-note") || $(".contact-form .saved-note");
    if (!n) return;
    n.textContent = n.getAttribute(text) || "";
    if (text === "data-saved") {
      n.textContent += " · " + new Date().toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit" });
    }
    n.classList.toggle("is-error", !!error);
  }
  function autosave(form) {
    if (!form.checkValidity()) { saveNote("data-failed", true); form.reportValidity(); return; }
    saveNote("data-saving", false);
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
      headers: { "HX-Request": "true" }
    }).then(function (r) { return r.ok; }, function () { return false; })
      .then(function (ok) { if (ok) saveNote("data-saved", false); else saveNote("data-failed", true); });
  }
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (f && f.matches && f.matches("form[data-autosave]")) { ev.preventDefault(); autosave(f); }
  });

  // Composer: Enter sends, Shift+Enter is a new line.
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (t.id === "composer-text" && ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      if (t.value.trim()) t.form.requestSubmit();
      return;
    }
    if (ev.key === "Escape") closeMenus(null);
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) || t.isContentEditable;
    if (typing) {
      if (ev.key === "Escape") t.blur();
      return;
    }
    if (ev.metaKey || ev.ctrlKey || ev.altKey || !$("#inbox")) return;
    var rows = $$(".conv-row a");
    var cur = rows.findIndex(function (a) { return a.parentElement.classList.contains("selected"); });
    switch (ev.key) {
      case "j": if (rows.length) rows[Math.min(cur + 1, rows.length - 1)].click(); break;
      case "k": if (rows.length) rows[Math.max(cur - 1, 0)].click(); break;
      case "r": case "n": {
        var box = $("#composer-text");
        if (!box) return;
        var mode = $('#composer input[value="' + (ev.key === "n" ? "note" : "reply") + '"]');
        if (mode) { mode.checked = true; mode.dispatchEvent(new Event("change", { bubbles: true })); }
        box.focus();
        break;
      }
      case "e": { var m = $("#close-menu"); if (m) { m.open = true; var n = $("textarea", m); if (n) n.focus(); } break; }
      case "a": { var f = $("#assign-me"); if (f) f.requestSubmit(); break; }
      case "/": { var s = $("#search"); if (s) s.focus(); break; }
      default: return;
    }
    ev.preventDefault();
  });

  // Reply/Note switch changes the composer's look.
  document.addEventListener("change", function (ev) {
    if (ev.target.name === "mode" && ev.target.form && ev.target.form.id === "composer") {
      ev.target.form.classList.toggle("is-note", ev.target.value === "note");
      var box = $("#composer-text");
      if (box) box.placeholder = box.getAttribute(ev.target.value === "note" ? "data-placeholder-note" : "data-placeholder-reply") || "";
    }
  });

  // Menus (Close, Snooze, emoji) close on a click elsewhere or Escape.
  function closeMenus(except) {
    $$("details.menu[open], details.emoji[open]").forEach(function (d) { if (d !== except) d.open = false; });
  }
  document.addEventListener("click", function (ev) {
    var inside = ev.target.closest && ev.target.closest("details.menu, details.emoji");
    closeMenus(inside);
  });

  // Emoji picker.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("[data-emoji]");
    if (!b) return;
    var box = $("#composer-text");
    if (!box) return;
    var at = box.selectionStart || box.value.length;
    box.value = box.value.slice(0, at) + b.getAttribute("data-emoji") + box.value.slice(at);
    box.focus();
    var d = b.closest("details");
    if (d) d.open = false;
  });

  // @mention suggestions in the composer.
  var list = null;
  function closeMentions() { if (list) { list.remove(); list = null; } }
  document.addEventListener("input", function (ev) {
    var box = ev.target;
    if (box.id !== "composer-text") return;
    closeMentions();
    var before = box.value.slice(0, box.selectionStart);
    var m = /(^|\s)@([^\s@]{0,30})$/.exec(before);
    if (!m) return;
    var names = (box.form.getAttribute("data-mentions") || "").split("|").filter(Boolean);
    var q = m[2].toLowerCase();
    var hits = names.filter(function (n) { return n.toLowerCase().indexOf(q) === 0; }).slice(0, 6);
    if (!hits.length) return;
    list = document.createElement("ul");
    list.className = "mention-list";
    hits.forEach(function (n) {
      var li = document.createElement("li");
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = "@" + n;
      btn.addEventListener("click", function () {
        var start = before.length - m[2].length - 1;
        box.value = box.value.slice(0, start) + "@" + n + " " + box.value.slice(box.selectionStart);
        closeMentions();
        box.focus();
      });
      li.appendChild(btn);
      list.appendChild(li);
    });
    box.parentNode.insertBefore(list, box.nextSibling);
  });
  // "New message": the inbox choice follows the kind of address typed in "To" (an
  // email inbox for an address with @, an SMS inbox for a number; an API inbox takes
  // either), and the subject shows only where it is used.
  function followAddress(form) {
    var to = form.querySelector('[name="to"]').value.trim();
    var kind = to.indexOf("@") >= 0 ? "email" : /[0-9]/.test(to) ? "phone" : "";
    var sel = form.querySelector('[name="inbox_id"]');
    var first = null;
    Array.prototype.forEach.call(sel.options, function (o) {
      var reach = o.getAttribute("data-reach");
      var fits = !kind || reach === "any" || reach === kind;
      o.hidden = !fits;
      o.disabled = !fits;
      if (fits && !first) first = o;
    });
    var cur = sel.options[sel.selectedIndex];
    if ((!cur || cur.disabled) && first) first.selected = true;
    form.querySelector(".compose-none").hidden = !!first;
    cur = sel.options[sel.selectedIndex];
    var reach = cur && !cur.disabled ? cur.getAttribute("data-reach") : "";
    form.querySelector(".compose-subject").hidden = !(reach === "email" || (reach === "any" && kind === "email"));
  }
  var newForm = document.getElementById("new-message");
  if (newForm) {
    followAddress(newForm);
    newForm.addEventListener("input", function () { followAddress(newForm); });
    newForm.addEventListener("change", function () { followAddress(newForm); });
  }
})();
