// Notifications on every signed-in page. The server decides who hears of what and sends
// this agent a `notify` event on the live stream ({"kind", "conversation", "title",
// "excerpt"}); this file counts the conversations in the tab's title and icon while the
// agent is elsewhere, plays a short sound and shows a desktop notification when the
// profile says so. Customer text only ever goes into text (a title, a notification's
// body), never into markup. Words come from data-* attributes the server wrote in the
// agent's language (#notify-config).
(function () {
  "use strict";
  var cfg = document.getElementById("notify-config");
  if (!cfg) return;
  var KEY = "charla-notify-unread";
  var icon = document.querySelector('link[rel="icon"]');
  var plainIcon = icon ? icon.getAttribute("href") : null;

  // The conversations the agent has not looked at yet, kept for this tab across pages.
  function load() {
    try {
      var v = JSON.parse(sessionStorage.getItem(KEY) || "[]");
      return Array.isArray(v) ? v.filter(function (n) { return Number.isInteger(n) && n > 0; }) : [];
    } catch (e) { return []; }
  }
  function save() { try { sessionStorage.setItem(KEY, JSON.stringify(unread)); } catch (e) { /* private mode */ } }
  var unread = load();

  // The agent is looking at this tab.
  function looking() { return document.visibilityState === "visible" && document.hasFocus(); }
  // The conversation open on this page, if any.
  function openConversation() {
    var inbox = document.getElementById("inbox");
    var sel = inbox && inbox.getAttribute("data-selected");
    if (sel) return Number(sel);
    var m = /^\/conversations\/(\d+)/.exec(location.pathname);
    return m ? Number(m[1]) : null;
  }

  // The count: "(3) Inbox · Charla" and a badge on the icon.
  function show() {
    var n = unread.length;
    var plain = document.title.replace(/^\(\d+\+?\) /, "");
    document.title = n ? "(" + (n > 99 ? "99+" : n) + ") " + plain : plain;
    badge();
  }
  var logo = null;
  function badge() {
    if (!icon || !plainIcon) return;
    if (!unread.length) {
      icon.setAttribute("type", "image/svg+xml");
      icon.setAttribute("href", plainIcon);
      return;
    }
    var draw = function () {
      var n = unread.length;
      if (!n) return;
      var c = document.createElement("canvas");
      c.width = c.height = 64;
      var g = c.getContext("2d");
      if (!g) return;
      try { g.drawImage(logo, 0, 0, 64, 64); } catch (e) { /* the badge alone */ }
      g.beginPath();
      g.arc(44, 20, 19, 0, 2 * Math.PI);
      g.fillStyle = "#dc2626";
      g.fill();
      g.lineWidth = 4;
      g.strokeStyle = "#ffffff";
      g.stroke();
      g.fillStyle = "#ffffff";
      g.font = "bold " + (n > 9 ? 20 : 26) + "px sans-serif";
      g.textAlign = "center";
      g.textBaseline = "middle";
      g.fillText(n > 9 ? "9+" : String(n), 44, 21);
      icon.setAttribute("type", "image/png");
      icon.setAttribute("href", c.toDataURL("image/png"));
    };
    if (logo && logo.complete) { draw(); return; }
    logo = new Image();
    logo.onload = draw;
    logo.onerror = draw;
    logo.src = plainIcon;
  }

  function forget(id) {
    var i = unread.indexOf(id);
    if (i >= 0) { unread.splice(i, 1); save(); show(); }
  }
  function clearAll() {
    if (!unread.length) return;
    unread = [];
    save();
    show();
  }
  // Back in the tab: everything has been seen (the list marks what is unread).
  function seen() {
    if (looking()) clearAll();
    else { var open = openConversation(); if (open) forget(open); }
  }
  window.addEventListener("focus", seen);
  document.addEventListener("visibilitychange", seen);
  document.addEventListener("htmx:afterSwap", seen);
  seen();
  show();

  // A short two-note chime (WebAudio: no file to fetch). Browsers allow sound once the
  // agent has interacted with the page.
  var audio = null;
  function chime() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    try {
      audio = audio || new AC();
      if (audio.state === "suspended") audio.resume();
      var t = audio.currentTime, o = audio.createOscillator(), v = audio.createGain();
      o.type = "sine";
      o.frequency.setValueAtTime(880, t);
      o.frequency.setValueAtTime(1320, t + 0.12);
      v.gain.setValueAtTime(0.0001, t);
      v.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
      v.gain.exponentialRampToValueAtTime(0.0001, t + 0.32);
      o.connect(v);
      v.connect(audio.destination);
      o.start(t);
      o.stop(t + 0.34);
    } catch (e) { /* no sound */ }
  }

  // Several tabs get the same event: the first one to take it plays and shows it.
  function first(key) {
    try {
      var last = JSON.parse(localStorage.getItem("charla-notify-last") || "null");
      if (last && last.key === key && Date.now() - last.at < 5000) return false;
      localStorage.setItem("charla-notify-last", JSON.stringify({ key: key, at: Date.now() }));
    } catch (e) { /* no storage: every tab plays */ }
    return true;
  }

  function desktop(id, kind, name, excerpt) {
    var N = window.Notification;
    if (!N || N.permission !== "granted") return;
    var label = cfg.getAttribute("data-" + kind) || "";
    try {
      var n = new N(label + " · " + (name || cfg.getAttribute("data-someone") || ""), {
        body: excerpt || "",
        tag: "charla-" + id,
        lang: document.documentElement.lang || "",
        icon: plainIcon || undefined
      });
      n.onclick = function () {
        window.focus();
        if (n.close) n.close();
        location.href = "/conversations/" + id;
      };
    } catch (e) { /* a browser that only notifies from a service worker */ }
  }

  function onNotify(ev) {
    var d;
    try { d = JSON.parse(ev.data); } catch (e) { return; }
    var id = Number(d && d.conversation);
    var kind = String(d && d.kind);
    if (!Number.isInteger(id) || id <= 0 || ["conversation", "assigned", "mention"].indexOf(kind) < 0) return;
    var here = looking();
    if (!here && unread.indexOf(id) < 0) { unread.push(id); save(); show(); }
    if (!first(kind + ":" + id + ":" + (d.excerpt || ""))) return;
    if (cfg.getAttribute("data-sound") === "true") chime();
    if (!here && cfg.getAttribute("data-desktop") === "true") desktop(id, kind, String(d.title || ""), String(d.excerpt || ""));
  }

  // The inbox page has its live stream (htmx); other pages open one.
  function listen(source) {
    if (!source || source.charlaNotify) return;
    source.charlaNotify = true;
    source.addEventListener("notify", onNotify);
  }
  if (document.querySelector("[sse-connect]")) {
    document.addEventListener("htmx:sseOpen", function (ev) { listen(ev.detail && ev.detail.source); });
  } else if (window.EventSource) {
    // Closed when the page is left: a page kept in the back/forward cache would hold its
    // stream, and a browser opens only six connections to one server over HTTP/1.1.
    var stream = null;
    var connect = function () { if (!stream) { stream = new EventSource("/events"); listen(stream); } };
    connect();
    window.addEventListener("pagehide", function () { if (stream) { stream.close(); stream = null; } });
    window.addEventListener("pageshow", function (ev) { if (ev.persisted) connect(); });
  }

  // The profile: where this browser stands, and the button that asks for permission
  // (only when clicked, never on page load). Once allowed, desktop notifications are
  // turned on and saved.
  var perm = document.getElementById("notify-permission");
  if (perm) {
    var text = document.getElementById("notify-permission-text");
    var button = document.getElementById("notify-enable");
    var box = document.getElementById("notify-desktop");
    var saved = box && box.checked;
    var state = function () {
      var s = window.Notification ? window.Notification.permission : "unsupported";
      perm.setAttribute("data-state", s);
      if (text) text.textContent = perm.getAttribute("data-" + s) || "";
      if (button) button.hidden = s === "unsupported" || s === "denied" || (s === "granted" && saved);
    };
    state();
    if (button) button.addEventListener("click", function () {
      if (!window.Notification) return;
      var asked = window.Notification.requestPermission();
      if (asked && asked.then) asked.then(function (p) {
        state();
        if (p === "granted" && box) {
          box.checked = true;
          if (box.form.requestSubmit) box.form.requestSubmit(); else box.form.submit();
        }
      });
    });
  }
})();
