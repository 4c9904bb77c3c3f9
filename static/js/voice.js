// Voice notes in the composer: the microphone button records with the browser's
// MediaRecorder (Opus, which the server remuxes for WhatsApp and Telegram without
// re-encoding), shows a running timer, stops by itself at 5:00, then lets the agent play
// it back, delete it, record again, or add it to the message. The recording is handed
// to the upload code as a file (a `charla:attach` event on #composer).
//
// The pane is re-rendered by live updates, so the recording lives here, not in the
// DOM: the panel is drawn again into each new composer of the same conversation.
(function () {
  "use strict";
  // Five minutes, unless the composer says otherwise (tests shorten it).
  function limit() { var c = composer(); return Number(c && c.getAttribute("data-voice-limit-ms")) || 5 * 60 * 1000; }
  var $ = function (sel, root) { return (root || document).querySelector(sel); };

  // One recording at a time: {conv, state: "recording"|"ready", started, chunks,
  // recorder, stream, blob, url, type, timer}.
  var rec = null;

  function composer() { return $("#composer"); }
  function convId() { var c = $("#pane .conv"); return c ? c.getAttribute("data-conversation") : null; }
  function words(key) { var c = composer(); return (c && c.getAttribute("data-voice-" + key)) || ""; }

  function clock(ms) {
    var s = Math.floor(ms / 1000);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // The type this browser records Opus in: WebM (Chromium, Firefox) or Ogg (Firefox).
  function recordType() {
    var types = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm"];
    if (typeof MediaRecorder === "undefined") return null;
    for (var i = 0; i < types.length; i++) if (MediaRecorder.isTypeSupported(types[i])) return types[i];
    return "";
  }

  function say(text, isError) {
    var p = $("#voice-status");
    if (!p) return;
    p.textContent = text;
    p.classList.toggle("is-error", !!isError);
  }

  function button(cls, label, onClick, text) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-small " + cls;
    b.textContent = text || label;
    if (text) b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  // Draws the panel for the current recording into the composer (or removes it).
  function draw() {
    var c = composer();
    if (!c) return;
    var old = $("#voice-panel", c);
    if (old) old.remove();
    var mic = $("#voice-record", c);
    if (mic) mic.setAttribute("aria-pressed", rec && rec.state === "recording" ? "true" : "false");
    if (!rec || rec.conv !== convId()) return;
    var panel = document.createElement("div");
    panel.id = "voice-panel";
    panel.className = "voice-panel voice-" + rec.state;
    panel.setAttribute("role", "group");
    panel.setAttribute("aria-label", words("title"));
    if (rec.state === "recording") {
      var dot = document.createElement("span");
      dot.className = "voice-dot";
      dot.setAttribute("aria-hidden", "true");
      var time = document.createElement("span");
      time.className = "voice-time";
      time.id = "voice-time";
      time.setAttribute("role", "timer");
      time.textContent = clock(Date.now() - rec.started) + " / " + clock(limit());
      panel.appendChild(dot);
      panel.appendChild(time);
      panel.appendChild(button("btn-primary voice-stop", words("stop"), stop));
    } else {
      var audio = document.createElement("audio");
      audio.controls = true;
      audio.src = rec.url;
      audio.className = "voice-preview";
      audio.setAttribute("aria-label", words("preview"));
      panel.appendChild(audio);
      // WebM from MediaRecorder carries no duration, so the player cannot say it.
      var len = document.createElement("span");
      len.className = "voice-time voice-length";
      len.textContent = clock(Math.min(rec.length, limit()));
      panel.appendChild(len);
      panel.appendChild(button("voice-delete", words("delete"), discard));
      panel.appendChild(button("voice-again", words("again"), again));
      panel.appendChild(button("btn-primary voice-add", words("add"), add));
    }
    var bar = $(".composer-bar", c);
    c.insertBefore(panel, bar);
  }

  function tick() {
    if (!rec || rec.state !== "recording") return;
    var elapsed = Date.now() - rec.started;
    var t = $("#voice-time");
    if (t) t.textContent = clock(elapsed) + " / " + clock(limit());
    if (elapsed >= limit()) stop();
  }

  function release() {
    if (!rec) return;
    clearInterval(rec.timer);
    if (rec.stream) rec.stream.getTracks().forEach(function (t) { t.stop(); });
    rec.stream = null;
  }

  function start() {
    var type = recordType();
    if (type === null || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(words("unsupported"), true);
      return;
    }
    var conv = convId();
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      rec = { conv: conv, state: "recording", started: Date.now(), chunks: [], recorder: recorder, stream: stream, type: recorder.mimeType || type };
      var mine = rec;
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) mine.chunks.push(e.data); };
      recorder.onstop = function () {
        if (rec !== mine) return;
        release();
        mine.blob = new Blob(mine.chunks, { type: mine.type.split(";")[0] || "audio/webm" });
        mine.url = URL.createObjectURL(mine.blob);
        mine.state = "ready";
        mine.length = Date.now() - mine.started;
        say(words("ready").replace("%t", clock(Math.min(mine.length, limit()))));
        draw();
        var play = $("#voice-panel .voice-preview");
        if (play) play.focus();
      };
      recorder.start(1000);
      rec.timer = setInterval(tick, 250);
      say(words("recording"));
      draw();
      var s = $("#voice-panel .voice-stop");
      if (s) s.focus();
    }).catch(function () {
      say(words("denied"), true);
    });
  }

  function stop() {
    if (rec && rec.state === "recording" && rec.recorder.state !== "inactive") rec.recorder.stop();
  }

  function discard() {
    if (!rec) return;
    var r = rec;
    rec = null;
    if (r.state === "recording") { r.recorder.onstop = null; try { r.recorder.stop(); } catch (e) { /* already stopped */ } }
    if (r.stream) r.stream.getTracks().forEach(function (t) { t.stop(); });
    clearInterval(r.timer);
    if (r.url) URL.revokeObjectURL(r.url);
    say(words("deleted"));
    draw();
    var mic = $("#voice-record");
    if (mic) mic.focus();
  }

  function again() { discard(); start(); }

  // Hands the recording to the upload code and clears the panel.
  function add() {
    var c = composer();
    if (!rec || rec.state !== "ready" || !c) return;
    var ext = rec.blob.type.indexOf("ogg") >= 0 ? "ogg" : "webm";
    var file = new File([rec.blob], "voice-note." + ext, { type: rec.blob.type });
    var r = rec;
    rec = null;
    c.dispatchEvent(new CustomEvent("charla:attach", { bubbles: true, detail: { file: file, voice: true } }));
    setTimeout(function () { URL.revokeObjectURL(r.url); }, 60000);
    say(words("added"));
    draw();
  }

  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("#voice-record");
    if (!b) return;
    ev.preventDefault();
    if (rec && rec.state === "recording") stop();
    else if (!rec || rec.conv !== convId()) { if (rec) discard(); start(); }
  });

  // A live refresh replaced the composer: draw the panel again. Another conversation
  // opened: a recording in progress stops, a finished one waits for its conversation.
  document.addEventListener("htmx:afterSettle", function () {
    if (rec && rec.state === "recording" && rec.conv !== convId()) stop();
    draw();
  });
  window.addEventListener("pagehide", function () { if (rec) release(); });
})();
