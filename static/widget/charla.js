/*! Charla website chat widget. Contract: docs/widget-protocol.md. No dependencies. */
(function () {
  'use strict';
  var W = window, D = document;
  var queued = W.Charla;
  if (queued && queued._charla) return; // the snippet was pasted twice

  function warn(s) { console.warn('Charla: ' + s); }

  // ---- Where we come from -------------------------------------------------------
  var me = D.currentScript || [].slice.call(D.querySelectorAll('script[data-charla-inbox]')).pop();
  var KEY = me && me.getAttribute('data-charla-inbox');
  var BASE = null;
  try { BASE = new URL('..', me.src).href.replace(/\/$/, ''); } catch (e) { /* no usable src */ }
  if (!BASE || !/^[0-9a-f]{32}$/.test(KEY || '')) { warn('the snippet needs src and a 32-hex data-charla-inbox'); return; }

  // ---- Words ------------------------------------------------------------------------
  // The server's catalogs, in the visitor's language (config `text`; see the protocol).
  var T = {};
  function fmt(s, k, v) { return String(s || '').split('{' + k + '}').join(v); }

  // ---- Storage (the site's localStorage; may be unavailable) ----------------------
  var P = 'charla:' + KEY + ':';
  function sget(k) { try { return localStorage.getItem(P + k); } catch (e) { return null; } }
  function sset(k, v) {
    try { if (v == null) localStorage.removeItem(P + k); else localStorage.setItem(P + k, v); } catch (e) { /* blocked */ }
  }
  function outbox() {
    var o;
    try { o = JSON.parse(sget('outbox')); } catch (e) { o = null; }
    return Array.isArray(o) ? o.filter(function (x) {
      if (x && !Array.isArray(x.files)) x.files = [];
      return x && typeof x.client_id === 'string' && typeof x.content === 'string';
    }) : [];
  }
  function unqueue(cid) {
    var o = outbox(), n = o.filter(function (x) { return x.client_id !== cid; });
    if (n.length !== o.length) sset('outbox', n.length ? JSON.stringify(n) : null);
  }

  // ---- State ----------------------------------------------------------------------
  var cfg, ui, io, identity = null, wantOpen = sget('open') === '1', isOpen = false;
  var token = sget('token'), cursor = null, visitor = null, welcomed = false, skipPre = false, prePending = null;
  var ws = null, helloSent = false, helloToken = null, online = false, tries = 0, lastRx = 0;
  var retryT, agentT, idleT, noticeT, typedAt = 0, typingOn = false;
  var msgs = [], byId = {}, seq = 0, seen = new Set(), byEl = new WeakMap(), toDeliver = [];
  var maxChars = 5000, agentsOnline = false, agentName = null, agentInitials = null;
  var RANK = { sent: 1, delivered: 2, read: 3 };
  // Files: the socket's session (for file requests), whether visitors may send files,
  // how large, and the files attached to the message being written.
  var session = null, filesOn = false, maxBytes = 0, tray = [], dragDepth = 0;

  // ---- The page's API: window.Charla ----------------------------------------------
  var api = {
    _charla: 1,
    identify: function (o) {
      if (!o || typeof o !== 'object') return;
      var s = function (v) { return v == null ? null : String(v); };
      var id = { identifier: s(o.identifier), email: s(o.email), name: s(o.name), hash: s(o.hash) };
      if (JSON.stringify(id) === JSON.stringify(identity)) return;
      identity = id;
      // Already said hello as someone else: another identity may mean another history.
      if (ws && helloSent) { clearHistory(); var s0 = ws; ws = null; online = false; s0.onclose = null; s0.close(); connect(); }
    },
    open: function () { if (ui) setOpen(true); else wantOpen = true; },
    close: function () { if (ui) setOpen(false); else wantOpen = false; },
    push: function (c) {
      if (Array.isArray(c) && c[0] !== 'push' && Object.prototype.hasOwnProperty.call(api, c[0]) && typeof api[c[0]] === 'function') {
        api[c[0]].apply(api, c.slice(1));
      }
    }
  };
  W.Charla = api;
  if (Array.isArray(queued)) queued.forEach(function (c) { api.push(c); });

  // ---- DOM helpers (text only: never innerHTML) -----------------------------------
  function h(tag, cls, txt) {
    var e = D.createElement(tag);
    if (cls) e.className = cls;
    if (txt != null) e.textContent = txt;
    return e;
  }
  function at(e, a) { for (var k in a) e.setAttribute(k, a[k]); return e; }
  function add(parent) { for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]); return parent; }
  function icon(d, cls) {
    var NS = 'http://www.w3.org/2000/svg', s = D.createElementNS(NS, 'svg'), p = D.createElementNS(NS, 'path');
    at(s, { viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false', 'class': 'i ' + cls });
    p.setAttribute('d', d);
    s.appendChild(p);
    return s;
  }
  var CHAT = 'M4 6.5A2.5 2.5 0 0 1 6.5 4h11A2.5 2.5 0 0 1 20 6.5v8a2.5 2.5 0 0 1-2.5 2.5H11.2l-4 3.3c-.6.5-1.5.1-1.5-.7V17A2.5 2.5 0 0 1 4 14.5z';
  var CROSS = 'M6.5 6.5l11 11M17.5 6.5l-11 11';
  var DOWN = 'M6 9.5l6 6 6-6';
  var CLIP = 'M16.5 7.5 9.4 14.6a1.8 1.8 0 0 0 2.6 2.6l7.4-7.4a3.6 3.6 0 0 0-5.1-5.1L6.8 12.2a5.4 5.4 0 0 0 7.6 7.6l5.1-5.1';
  var DOC = 'M7 3h7l5 5v12a1 1 0 0 1-1 1H7a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zM14 3v5h5M8.5 13h7M8.5 16.5h5';
  var SEND = 'M3.6 20.2 21 12.8a.9.9 0 0 0 0-1.6L3.6 3.8a.9.9 0 0 0-1.2 1.1L4.5 11 13 12l-8.5 1-2.1 6.1a.9.9 0 0 0 1.2 1.1z';

  // Plain text → text nodes, <br> for line breaks, <a> for http(s) URLs.
  function fill(el, text) {
    text.split(/\r\n|\r|\n/).forEach(function (line, i) {
      if (i) el.appendChild(h('br'));
      var re = /\bhttps?:\/\/[^\s<>"]+/gi, last = 0, m;
      while ((m = re.exec(line))) {
        var url = m[0].replace(/[.,;:!?'")\]}]+$/, '');
        if (/\(/.test(url) && /\)/.test(m[0].slice(url.length, url.length + 1))) url += ')'; // wikipedia_(thing)
        el.appendChild(D.createTextNode(line.slice(last, m.index)));
        var a = at(h('a', null, url), { href: url, target: '_blank', rel: 'noopener noreferrer nofollow' });
        el.appendChild(a);
        last = re.lastIndex = m.index + url.length;
      }
      el.appendChild(D.createTextNode(line.slice(last)));
    });
  }
  // An agent's formatting, as the server rendered it (every character typed already
  // escaped): parsed inert, and only these elements copied, built with createElement.
  var RICH = { P: 1, BR: 1, STRONG: 1, EM: 1, S: 1, CODE: 1, A: 1, UL: 1, OL: 1, LI: 1 };
  function rich(el, html) {
    var doc = new DOMParser().parseFromString('<body>' + html, 'text/html');
    (function copy(from, to) {
      Array.prototype.forEach.call(from.childNodes, function (n) {
        if (n.nodeType === 3) { to.appendChild(D.createTextNode(n.nodeValue)); return; }
        if (n.nodeType !== 1) return;
        if (!RICH[n.tagName]) { to.appendChild(D.createTextNode(n.textContent)); return; }
        var e = h(n.tagName.toLowerCase());
        var href = n.tagName === 'A' ? n.getAttribute('href') || '' : '';
        if (/^(https?:|mailto:)/i.test(href)) at(e, { href: href, target: '_blank', rel: 'noopener noreferrer nofollow' });
        if (n.tagName === 'OL' && /^\d{1,9}$/.test(n.getAttribute('start') || '')) e.setAttribute('start', n.getAttribute('start'));
        copy(n, e);
        to.appendChild(e);
      });
    })(doc.body, el);
  }
  // A file's size, in the widget's language.
  function size(n) {
    n = +n || 0;
    var units = ['B', 'KB', 'MB', 'GB'], i = 0;
    while (n >= 1000 && i < 3) { n /= 1000; i++; }
    return n.toLocaleString(LOC, { maximumFractionDigits: i ? 1 : 0 }) + ' ' + units[i];
  }
  function chars(s) { return Array.from(s).length; } // what the server counts (Unicode scalar values)
  function initials(name) {
    var w = String(name || '').trim().split(/\s+/);
    return ((Array.from(w[0] || '')[0] || '') + (w.length > 1 ? Array.from(w[w.length - 1])[0] : '')).toUpperCase();
  }
  function rid() {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.from(a, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }
  var LOC = [];
  function clock(ms) {
    var d = new Date(ms), hm = d.toLocaleTimeString(LOC, { hour: 'numeric', minute: '2-digit' });
    var t = h('time', null, d.toDateString() === new Date().toDateString() ? hm : d.toLocaleDateString(LOC, { day: 'numeric', month: 'short' }) + ' ' + hm);
    t.dateTime = d.toISOString();
    t.title = d.toLocaleString();
    return t;
  }
  // Dark or light text on the inbox colour, whichever contrasts more (WCAG luminance).
  function onColor(hex) {
    var l = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var L = 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
    return 1.05 / (L + 0.05) >= (L + 0.05) / 0.0617 ? '#ffffff' : '#151a2d';
  }

  // ---- Config, then the UI, then the socket --------------------------------------
  fetch(BASE + '/widget/v1/' + KEY + '/config', { credentials: 'omit' })
    .then(function (r) {
      if (!r.ok) throw new Error('config answered ' + r.status);
      return r.json();
    })
    .then(function (c) {
      cfg = c && typeof c === 'object' ? c : {};
      T = cfg.text && typeof cfg.text === 'object' ? cfg.text : {};
      if (D.body) build(); else D.addEventListener('DOMContentLoaded', build);
    })
    .catch(function (e) { warn(e && e.message ? e.message : String(e)); });

  function build() {
    LOC = cfg.lang ? [String(cfg.lang)] : [];
    try { new Date().toLocaleTimeString(LOC); } catch (e) { LOC = []; } // the widget's language, if valid
    var color = /^#[0-9a-fA-F]{6}$/.test(cfg.color) ? cfg.color : '#4f46e5';
    if (+cfg.max_chars > 0) maxChars = +cfg.max_chars;
    agentsOnline = !!cfg.agents_online;
    if (cfg.files && typeof cfg.files === 'object') { filesOn = !!cfg.files.on; maxBytes = +cfg.files.max_bytes || 0; }
    if (cfg.agent && cfg.agent.name) { agentName = String(cfg.agent.name); agentInitials = cfg.agent.initials ? String(cfg.agent.initials) : null; }

    var host = h('div');
    host.id = 'charla-widget';
    var shadow = host.attachShadow({ mode: 'open' });
    var css = at(h('link'), { rel: 'stylesheet', href: BASE + '/widget/charla.css' });
    var u = ui = {};
    u.root = h('div', 'root');
    u.root.hidden = true; // until the stylesheet is in: no flash of unstyled widget
    if (cfg.lang) u.root.lang = String(cfg.lang); // the widget's language, for screen readers
    u.root.style.setProperty('--charla-color', color);
    var on = onColor(color);
    u.root.style.setProperty('--charla-on', on);
    u.root.style.setProperty('--charla-ring', on === '#ffffff' ? color : '#1d2233'); // visible on white
    css.onload = function () { u.root.hidden = false; start(); };
    css.onerror = function () { warn('could not load ' + css.href); host.remove(); };

    u.launcher = at(h('button', 'launcher'), { type: 'button', 'aria-controls': 'charla-panel', 'aria-expanded': 'false' });
    u.badge = at(h('span', 'badge'), { 'aria-hidden': 'true' });
    u.badge.hidden = true;
    add(u.launcher, icon(CHAT, 'i-chat'), icon(DOWN, 'i-down'), u.badge);

    u.panel = at(h('section', 'panel'), { id: 'charla-panel', role: 'dialog', 'aria-label': String(cfg.name || T.chat) });
    u.panel.hidden = true;

    // Header: avatar with presence dot, inbox name, agent and availability, close.
    u.avatar = h('span', 'avatar');
    u.initials = at(h('span'), { 'aria-hidden': 'true' });
    u.dot = h('span', 'dot');
    add(u.avatar, u.initials, u.dot);
    u.title = h('strong', 'title', String(cfg.name || ''));
    u.sub = h('span', 'sub');
    var x = at(h('button', 'x'), { type: 'button', 'aria-label': T.close, title: T.close });
    x.appendChild(icon(CROSS, 'i-x'));
    add(u.panel, add(h('header', 'head'), u.avatar, add(h('div', 'who'), u.title, u.sub), x));

    u.banner = at(h('div', 'banner', T.re), { role: 'status' });
    u.banner.hidden = true;

    // Conversation: greeting, messages, agent typing, pre-chat form.
    u.scroll = h('div', 'scroll');
    if (cfg.greeting) {
      var g = h('div', 'bubble');
      fill(g, String(cfg.greeting));
      add(u.scroll, add(h('div', 'msg in greet'), g));
    }
    u.list = at(h('ol', 'list'), { 'aria-label': T.list, 'aria-live': 'off' });
    u.typing = h('div', 'typing');
    u.typing.hidden = true;
    u.typingTxt = h('span');
    add(u.typing, add(at(h('span', 'dots'), { 'aria-hidden': 'true' }), h('i'), h('i'), h('i')), u.typingTxt);
    u.pre = buildPre();
    add(u.scroll, u.list, u.typing, u.pre);

    u.notice = at(h('div', 'notice'), { role: 'alert' });
    u.notice.hidden = true;

    // Composer: Enter sends, Shift+Enter is a new line, a counter near the limit.
    u.form = h('form', 'composer');
    u.ta = at(h('textarea'), { rows: '1', placeholder: T.ph, 'aria-label': T.msg, 'aria-describedby': 'charla-count' });
    u.count = at(h('span', 'count'), { id: 'charla-count' });
    u.count.hidden = true;
    u.send = at(h('button', 'send'), { type: 'submit', 'aria-label': T.send, title: T.send });
    u.send.appendChild(icon(SEND, 'i-send'));
    // Files: the paperclip (and drop, and paste), what is attached above the field.
    u.attach = at(h('button', 'attach'), { type: 'button', 'aria-label': T.attach, title: T.attach });
    u.attach.appendChild(icon(CLIP, 'i-clip'));
    u.attach.hidden = !filesOn;
    u.attach.disabled = true; // until the socket gave a session
    u.file = at(h('input', 'sr'), { type: 'file', multiple: '', tabindex: '-1', 'aria-hidden': 'true' });
    u.tray = at(h('ul', 'tray'), { 'aria-label': T.attach });
    u.tray.hidden = true;
    add(u.form, u.tray, add(h('div', 'field'), u.attach, u.ta, u.count, u.send), u.file);
    u.dropHint = at(h('div', 'drophint'), { 'aria-hidden': 'true' });
    add(u.dropHint, add(h('span'), icon(CLIP, 'i-clip'), h('span', null, T.drop)));

    add(u.panel, u.banner, u.scroll, u.notice, u.form, u.dropHint);
    add(u.root, u.launcher, u.panel); // tab order: the toggle, then what it opens
    add(shadow, css, u.root);

    u.launcher.addEventListener('click', function () { setOpen(!isOpen, true); });
    x.addEventListener('click', function () { setOpen(false, true); });
    u.root.addEventListener('keydown', function (e) { if (e.key === 'Escape' && isOpen) setOpen(false, true); });
    u.form.addEventListener('submit', function (e) { e.preventDefault(); submit(); });
    u.ta.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); submit(); }
    });
    u.ta.addEventListener('input', function () { grow(); counter(); typed(); });
    u.ta.addEventListener('blur', typingOff);
    u.attach.addEventListener('click', function () { u.file.click(); });
    u.file.addEventListener('change', function () { addFiles(u.file.files); u.file.value = ''; });
    u.ta.addEventListener('paste', function (e) {
      var f = e.clipboardData && e.clipboardData.files;
      if (filesOn && f && f.length) { e.preventDefault(); addFiles(f); }
    });
    function dragged(e) {
      var t = e.dataTransfer && e.dataTransfer.types;
      return filesOn && !!t && Array.prototype.indexOf.call(t, 'Files') >= 0;
    }
    u.panel.addEventListener('dragenter', function (e) {
      if (!dragged(e)) return;
      e.preventDefault();
      dragDepth++;
      u.root.classList.add('dropping');
    });
    u.panel.addEventListener('dragover', function (e) {
      if (!dragged(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    });
    u.panel.addEventListener('dragleave', function () {
      if (--dragDepth <= 0) { dragDepth = 0; u.root.classList.remove('dropping'); }
    });
    u.panel.addEventListener('drop', function (e) {
      if (!dragged(e)) return;
      e.preventDefault();
      dragDepth = 0;
      u.root.classList.remove('dropping');
      addFiles(e.dataTransfer.files);
    });

    io = new IntersectionObserver(function (es) {
      es.forEach(function (e) {
        var m = byEl.get(e.target);
        if (m && e.isIntersecting) seen.add(m); else if (m) seen.delete(m);
      });
      markRead();
    }, { root: u.scroll, rootMargin: '-16px 0px' });

    D.body.appendChild(host);
    outbox().forEach(function (o) { pend(o.client_id, o.content, o.files); }); // typed before a reload, still unsent
    header(); counter(); badge(); status();
    setOpen(wantOpen);
  }

  // The stylesheet is in: connect and stay connected.
  function start() {
    W.addEventListener('online', function () { if (!ws) retry(true); });
    W.addEventListener('offline', function () { if (ws) drop(); });
    D.addEventListener('visibilitychange', function () {
      if (D.visibilityState !== 'visible') return;
      if (!ws) retry(true); else ping();
      markRead();
    });
    // Leaving the page (or freezing it in the back/forward cache) closes the socket at
    // once, so the agent sees the visitor go offline now, not when TCP notices.
    W.addEventListener('pagehide', function () {
      clearTimeout(retryT);
      var s = ws;
      ws = null;
      if (s) { s.onclose = s.onmessage = s.onopen = null; try { s.close(1001); } catch (e) { /* closed */ } }
    });
    W.addEventListener('pageshow', function (e) { if (e.persisted && !ws) retry(true); });
    setInterval(ping, 25000);
    connect();
  }

  function buildPre() {
    var req = cfg.prechat === 'required', f = h('form', 'pre');
    var name = at(h('input'), { name: 'name', autocomplete: 'name', maxlength: '200' });
    var email = at(h('input'), { name: 'email', type: 'email', autocomplete: 'email', maxlength: '254' });
    name.required = email.required = req;
    var skip = null;
    if (!req) {
      skip = at(h('button', 'link', T.skip), { type: 'button' });
      skip.addEventListener('click', function () { skipPre = true; pre(); ui.ta.focus(); });
    }
    add(f, h('p', null, T.pre),
      add(h('label'), h('span', null, T.name + (req ? '' : ' ' + T.opt)), name),
      add(h('label'), h('span', null, T.email + (req ? '' : ' ' + T.opt)), email),
      add(h('div', 'row'), at(h('button', 'btn', T.start), { type: 'submit' }), skip));
    f.hidden = true;
    f.addEventListener('submit', function (e) {
      e.preventDefault();
      var p = { type: 'prechat', name: name.value.trim(), email: email.value.trim() };
      if (p.name || p.email) {
        visitor = { name: p.name || (visitor && visitor.name) || null, email: p.email || null };
        if (!put(p)) prePending = p;
      }
      skipPre = true;
      pre();
      ui.ta.focus();
    });
    return f;
  }

  // ---- Rendering messages ---------------------------------------------------------
  function order(a, b) { return (a.pending - b.pending) || (a.at - b.at) || (a.seq - b.seq); }
  function nearBottom() { var s = ui.scroll; return s.scrollHeight - s.scrollTop - s.clientHeight < 48; }
  function toBottom() { ui.scroll.scrollTop = ui.scroll.scrollHeight; }
  function stick(fn) { var b = nearBottom(); fn(); if (b) toBottom(); }

  function record(extra) {
    var m = { seq: seq++, el: h('li'), pending: false, status: null, at: Date.now() };
    for (var k in extra) m[k] = extra[k];
    msgs.push(m);
    byEl.set(m.el, m);
    return m;
  }
  function pendingOf(cid) {
    for (var i = 0; i < msgs.length; i++) if (msgs[i].pending && msgs[i].cid === cid) return msgs[i];
    return null;
  }
  function pend(cid, content, files) {
    var m = pendingOf(cid) || record({ pending: true, cid: cid, from: 'visitor', content: content, files: files || [] });
    draw(m);
    place(m);
    pre();
    return m;
  }
  function forget(m) {
    msgs.splice(msgs.indexOf(m), 1);
    if (m.id && byId[m.id] === m) delete byId[m.id];
    seen.delete(m);
    if (io) io.unobserve(m.el);
    m.el.remove();
  }
  function clearHistory() {
    ui.list.setAttribute('aria-live', 'off');
    msgs.slice().forEach(function (m) { if (!m.pending) forget(m); });
    cursor = null;
    welcomed = false;
  }

  // A Msg from the server (welcome, message, ack): new, or an update of what we show.
  function take(x) {
    if (!x || typeof x.id !== 'string' || typeof x.content !== 'string') return null;
    var m = byId[x.id], p = x.client_id ? pendingOf(x.client_id) : null;
    if (m && p && p !== m) forget(p); // the copy we were still sending: already stored
    if (!m && p) { m = p; m.pending = false; m.error = null; }
    var fresh = !m;
    if (fresh) m = record({});
    m.id = x.id;
    byId[x.id] = m;
    m.from = x.from === 'agent' ? 'agent' : 'visitor';
    m.author = x.author ? String(x.author) : null;
    m.content = x.content;
    m.html = m.from === 'agent' && typeof x.html === 'string' ? x.html : null;
    m.files = (Array.isArray(x.files) ? x.files : []).filter(function (f) {
      return f && typeof f.id === 'string' && typeof f.url === 'string' && f.url.indexOf('/widget/v1/') === 0;
    });
    m.at = Date.parse(x.at) || m.at;
    m.cursor = x.cursor || null;
    if ((RANK[x.status] || 0) >= (RANK[m.status] || 0)) m.status = x.status;
    if (x.client_id) { m.cid = x.client_id; unqueue(x.client_id); }
    if (m.from === 'agent' && fresh) {
      io.observe(m.el);
      if (m.author) { agentName = m.author; agentInitials = null; header(); }
      agentTyping(false);
    }
    if (m.from === 'agent' && m.status === 'sent') toDeliver.push(m);
    draw(m);
    place(m);
    return m;
  }

  function draw(m) {
    var li = m.el;
    li.className = 'msg ' + (m.from === 'agent' ? 'in' : 'out') + (m.pending ? ' pending' : '') + (m.error ? ' failed' : '');
    var files = m.files || [];
    var shown = m.content + '\u0000' + files.map(function (f) { return f.url || f.id; }).join(' ');
    if (m.shown !== shown) { // the text never changes in practice: keep the node, no re-announcement
      m.shown = shown;
      var b = h('div', 'body');
      if (m.content || !files.length) {
        var t = h('div', 'bubble' + (m.html ? ' rich' : ''));
        if (m.html) rich(t, m.html); else fill(t, m.content);
        b.appendChild(t);
      }
      if (files.length) b.appendChild(add.apply(null, [h('div', 'files')].concat(files.map(fileEl))));
      if (m.bubble) li.replaceChild(b, m.bubble); else li.insertBefore(b, li.firstChild);
      m.bubble = b;
    }
    var meta = h('div', 'meta');
    if (m.from === 'agent' && m.author) add(meta, h('span', 'author', m.author));
    meta.appendChild(clock(m.at));
    if (m.from !== 'agent') {
      var k = m.error ? 'failed' : m.pending ? 'sending' : m.status === 'read' ? 'read' : m.status === 'delivered' ? 'delivered' : 'sent';
      var sym = { failed: '!', sending: '◷', sent: '✓', delivered: '✓✓', read: '✓✓' }[k];
      add(meta, add(at(h('span', 'st ' + k), { title: T[k] }), at(h('span', null, sym), { 'aria-hidden': 'true' }), h('span', 'sr', T[k])));
    }
    var err = null;
    if (m.error) {
      var r = at(h('button', 'retry', T.retry), { type: 'button' });
      r.addEventListener('click', function () { forget(m); queue(m.content, m.files); toBottom(); });
      err = add(h('div', 'err'), h('span', null, m.error), r);
    }
    while (li.lastChild && li.lastChild !== m.bubble) li.removeChild(li.lastChild);
    add(li, meta, err);
  }

  // One file of a message: an image shown inline, a player, or a download card. Its
  // URL carries the session (the visitor's own files only); a file still being sent
  // (no URL yet) is a card.
  function fileEl(f) {
    var name = String(f.name || ''), url = f.url && session ? BASE + f.url + '?s=' + encodeURIComponent(session) : null;
    if (url && f.kind === 'image') {
      var img = at(h('img'), { src: url, alt: name || T.image, loading: 'lazy' });
      img.addEventListener('load', function () { // taller now: stay at the bottom if we were near it
        var s = ui.scroll;
        if (s.scrollHeight - s.scrollTop - s.clientHeight < img.clientHeight + 64) toBottom();
      });
      return add(at(h('a', 'img'), { href: url, target: '_blank', rel: 'noopener noreferrer', title: name }), img);
    }
    if (url && (f.kind === 'audio' || f.kind === 'video')) {
      var p = at(h(f.kind), { src: url, controls: '', preload: 'metadata', title: name });
      return add(h('div', 'media ' + f.kind), p, h('span', 'fname', name));
    }
    var card = url
      ? at(h('a', 'card'), { href: url, download: name, rel: 'noopener noreferrer', title: fmt(T.download, 'name', name) })
      : h('div', 'card');
    return add(card, icon(DOC, 'i-doc'), add(h('span', 'ftext'), h('span', 'fname', name), h('span', 'fsize', size(f.size))));
  }

  // Insert or move an element only when it is out of place (moving re-announces it).
  function place(m) {
    msgs.sort(order);
    var next = msgs[msgs.indexOf(m) + 1], ref = next ? next.el : null;
    if (m.el.parentNode !== ui.list || m.el.nextSibling !== ref) ui.list.insertBefore(m.el, ref);
    // A run from the same author within two minutes shows its time (and ticks) once, at the end.
    msgs.forEach(function (a, i) {
      var b = msgs[i + 1];
      a.el.classList.toggle('cont', !!b && !a.pending && !b.pending && a.from === b.from && a.author === b.author && b.at - a.at < 120000);
    });
    for (var i = msgs.length - 1; i >= 0; i--) if (!msgs[i].pending && msgs[i].cursor) { cursor = msgs[i].cursor; break; }
  }

  // ---- Header, badge, banners -----------------------------------------------------
  function header() {
    ui.initials.textContent = agentInitials || initials(agentName || cfg.name || T.chat);
    ui.dot.className = 'dot' + (agentsOnline ? ' on' : '');
    ui.sub.textContent = (agentName ? agentName + ' · ' : '') + (agentsOnline ? T.online : T.away);
  }
  function unread() {
    return msgs.filter(function (m) { return m.from === 'agent' && m.status !== 'read'; });
  }
  function badge() {
    var n = isOpen ? 0 : unread().length;
    ui.badge.hidden = !n;
    ui.badge.textContent = n > 9 ? '9+' : String(n);
    ui.launcher.setAttribute('aria-label', isOpen ? T.close : (n ? fmt(T.unread, 'n', n) : T.open));
  }
  function status() {
    ui.banner.hidden = online || !tries;
    ui.root.classList.toggle('offline', !online);
  }
  function notice(text) {
    clearTimeout(noticeT);
    ui.notice.textContent = text;
    ui.notice.hidden = false;
    noticeT = setTimeout(function () { ui.notice.hidden = true; }, 8000);
  }
  function pre() {
    var mode = cfg.prechat;
    var need = welcomed && !skipPre && (mode === 'optional' || mode === 'required') && !(visitor && visitor.email) && !msgs.length;
    ui.pre.hidden = !need;
    ui.form.hidden = need && mode === 'required';
  }
  function agentTyping(on, name) {
    clearTimeout(agentT);
    stick(function () {
      ui.typing.hidden = !on;
      if (on) ui.typingTxt.textContent = fmt(T.typing, 'name', name || agentName || T.agent);
    });
    if (on) agentT = setTimeout(function () { agentTyping(false); }, 6000);
  }

  function setOpen(v, byUser) {
    isOpen = !!v;
    sset('open', isOpen ? '1' : null);
    ui.root.classList.toggle('open', isOpen);
    ui.panel.hidden = !isOpen;
    ui.launcher.setAttribute('aria-expanded', String(isOpen));
    if (isOpen) {
      toBottom();
      var first = unread()[0]; // more unread than fit: start at the first of them
      if (first && first.el.offsetTop < ui.scroll.scrollTop) ui.scroll.scrollTop = first.el.offsetTop - 12;
      if (byUser) (ui.pre.hidden || cfg.prechat !== 'required' ? ui.ta : ui.pre.querySelector('input')).focus();
    } else {
      typingOff();
      if (byUser) ui.launcher.focus();
    }
    badge();
    markRead();
  }

  // ---- Composer -------------------------------------------------------------------
  function grow() {
    var t = ui.ta;
    t.style.height = 'auto'; // CSSOM, allowed under a strict style-src
    t.style.height = Math.min(t.scrollHeight, 140) + 'px';
  }
  function counter() {
    var n = chars(ui.ta.value);
    ui.count.hidden = n < maxChars - Math.max(20, maxChars / 10);
    ui.count.textContent = n.toLocaleString() + ' / ' + maxChars.toLocaleString();
    ui.count.classList.toggle('over', n > maxChars);
    var ready = tray.filter(function (c) { return c.id; }).length;
    ui.send.disabled = n > maxChars || (!ui.ta.value.trim() && !ready) || uploading();
  }
  function uploading() { return tray.some(function (c) { return !c.id; }); }
  function submit() {
    var t = ui.ta.value.trim();
    var files = tray.map(function (c) { return { id: c.id, name: c.name, size: c.size, kind: c.kind, mime: c.mime }; });
    if (uploading() || (!t && !files.length) || chars(t) > maxChars) return;
    ui.ta.value = '';
    tray = [];
    drawTray();
    grow(); counter(); typingOff();
    skipPre = true;
    queue(t, files);
    toBottom();
    ui.ta.focus();
  }
  function ids(files) { return (files || []).map(function (f) { return f.id; }); }
  function queue(content, files) {
    var cid = rid(), o = outbox();
    files = files || [];
    o.push({ client_id: cid, content: content, files: files });
    sset('outbox', JSON.stringify(o));
    pend(cid, content, files);
    put({ type: 'send', client_id: cid, content: content, files: ids(files) });
  }

  // ---- Files the visitor attaches -------------------------------------------------
  // Each is uploaded at once (the server checks its type and size as it streams in);
  // the message names the uploads when it is sent.
  function addFiles(list) {
    if (!filesOn || !session) return;
    Array.prototype.forEach.call(list || [], function (f) {
      if (tray.length >= 10) return;
      if (maxBytes && f.size > maxBytes) {
        notice(fmt(fmt(T.too_large, 'name', f.name), 'limit', size(maxBytes)));
        return;
      }
      var c = { name: String(f.name || 'file'), size: f.size, id: null, pct: 0 };
      tray.push(c);
      upload(c, f);
    });
    drawTray();
    counter();
  }
  function unattach(c) {
    var i = tray.indexOf(c);
    if (i >= 0) tray.splice(i, 1);
    drawTray();
    counter();
  }
  function upload(c, f) {
    var x = new XMLHttpRequest(), fd = new FormData();
    fd.append('file', f, c.name);
    x.open('POST', BASE + '/widget/v1/' + KEY + '/uploads?s=' + encodeURIComponent(session));
    x.upload.onprogress = function (e) {
      if (e.lengthComputable && c.bar) c.bar.style.width = Math.round(100 * e.loaded / e.total) + '%';
    };
    x.onload = function () {
      var r = null;
      try { r = JSON.parse(x.responseText); } catch (e) { /* not JSON */ }
      if (x.status === 201 && r && typeof r.id === 'string') {
        c.id = r.id; c.mime = String(r.mime || ''); c.kind = String(r.kind || 'file'); c.size = +r.size || c.size;
        drawTray();
        counter();
      } else {
        unattach(c);
        notice(r && typeof r.error === 'string' ? r.error : fmt(fmt(T.upload_failed, 'name', c.name), 'reason', 'HTTP ' + x.status));
      }
    };
    x.onerror = function () {
      unattach(c);
      notice(fmt(fmt(T.upload_failed, 'name', c.name), 'reason', T.network));
    };
    c.xhr = x;
    x.send(fd);
  }
  function drawTray() {
    var t = ui.tray;
    while (t.firstChild) t.removeChild(t.firstChild);
    tray.forEach(function (c) {
      var rm = at(h('button', 'rm'), { type: 'button', 'aria-label': fmt(T.remove, 'name', c.name), title: fmt(T.remove, 'name', c.name) });
      rm.appendChild(icon(CROSS, 'i-x'));
      rm.addEventListener('click', function () {
        if (!c.id && c.xhr) { c.xhr.onload = c.xhr.onerror = null; c.xhr.abort(); }
        unattach(c);
        ui.ta.focus();
      });
      var bar = null;
      if (!c.id) { c.bar = h('i'); bar = add(h('span', 'bar'), c.bar); }
      var txt = add(h('span', 'ftext'), h('span', 'fname', c.name), h('span', 'fsize', c.id ? size(c.size) : T.uploading));
      t.appendChild(add(h('li', 'chip' + (c.id ? '' : ' up')), icon(DOC, 'i-doc'), txt, bar, rm));
    });
    t.hidden = !tray.length;
  }
  function typed() {
    if (!ui.ta.value.trim()) { typingOff(); return; }
    var now = Date.now();
    if (now - typedAt >= 3000 && put({ type: 'typing', active: true })) { typedAt = now; typingOn = true; }
    clearTimeout(idleT);
    idleT = setTimeout(typingOff, 4000);
  }
  function typingOff() {
    clearTimeout(idleT);
    if (typingOn) { typingOn = false; typedAt = 0; put({ type: 'typing', active: false }); }
  }

  // ---- Receipts -------------------------------------------------------------------
  function receipts() {
    var ids = toDeliver.filter(function (m) { return m.status === 'sent' && byId[m.id] === m; }).map(function (m) { return m.id; });
    toDeliver = [];
    if (ids.length && put({ type: 'receipt', status: 'delivered', ids: ids })) {
      ids.forEach(function (id) { byId[id].status = 'delivered'; });
    }
  }
  function markRead() {
    if (!isOpen || !online || D.visibilityState !== 'visible') return;
    var ids = [];
    seen.forEach(function (m) { if (m.status !== 'read' && byId[m.id] === m) ids.push(m.id); });
    if (ids.length && put({ type: 'receipt', status: 'read', ids: ids })) {
      ids.forEach(function (id) { byId[id].status = 'read'; });
      badge();
    }
  }

  // ---- The socket -----------------------------------------------------------------
  function put(f) {
    if (!online || !ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(f));
    return true;
  }
  function connect() {
    clearTimeout(retryT);
    if (ws) return;
    var s;
    try { s = new WebSocket(BASE.replace(/^http/, 'ws') + '/widget/v1/' + KEY + '/socket'); } catch (e) { retry(); return; }
    ws = s;
    helloSent = false;
    s.onopen = function () {
      helloToken = token;
      s.send(JSON.stringify({
        type: 'hello', token: token, cursor: cursor, identity: identity,
        page: { url: location.href, title: D.title }
      }));
      helloSent = true;
    };
    s.onmessage = function (e) {
      if (ws !== s) return;
      lastRx = Date.now();
      var f;
      try { f = JSON.parse(e.data); } catch (x) { return; }
      if (f && typeof f === 'object') stick(function () { frame(f); });
    };
    s.onclose = function () { if (ws === s) drop(); };
  }
  function drop() {
    var s = ws;
    ws = null;
    online = false;
    typingOn = false;
    if (s) { s.onclose = s.onmessage = s.onopen = null; try { s.close(); } catch (e) { /* already closed */ } }
    agentTyping(false);
    retry();
  }
  function retry(now) {
    clearTimeout(retryT);
    var d = now ? 0 : Math.min(30000, 1000 * Math.pow(2, tries++)) * (0.8 + Math.random() * 0.4);
    retryT = setTimeout(connect, d);
    status();
  }
  function ping() {
    var s = ws, sent = Date.now();
    if (!put({ type: 'ping' })) return;
    setTimeout(function () { if (ws === s && lastRx < sent) drop(); }, 10000); // half-open: no pong
  }

  function frame(f) {
    var m;
    switch (f.type) {
      case 'welcome': welcome(f); break;
      case 'message': take(f.message); receipts(); markRead(); break;
      case 'ack':
        if (typeof f.client_id === 'string') unqueue(f.client_id);
        if (f.message) take(Object.assign({}, f.message, { client_id: f.client_id }));
        break;
      case 'status':
        m = byId[f.id];
        if (m && (RANK[f.status] || 0) > (RANK[m.status] || 0)) { m.status = f.status; draw(m); }
        break;
      case 'typing': agentTyping(!!f.active, f.agent ? String(f.agent) : null); break;
      case 'presence': agentsOnline = !!f.agents_online; header(); break;
      case 'error': error(f); break;
    }
    badge();
    pre();
  }
  function welcome(f) {
    if (typeof f.token === 'string' && f.token) {
      if (helloToken && f.token !== helloToken) clearHistory(); // someone else's history now
      token = f.token;
      sset('token', token);
    }
    visitor = f.visitor && typeof f.visitor === 'object' ? f.visitor : {};
    if (typeof f.session === 'string' && f.session) session = f.session;
    if (f.files && typeof f.files === 'object') { filesOn = !!f.files.on; maxBytes = +f.files.max_bytes || maxBytes; }
    ui.attach.hidden = !filesOn;
    ui.attach.disabled = !session;
    if (+f.max_chars > 0) maxChars = +f.max_chars;
    agentsOnline = !!f.agents_online;
    (Array.isArray(f.messages) ? f.messages : []).forEach(take);
    if (f.cursor) cursor = f.cursor;
    welcomed = online = true;
    tries = 0;
    receipts();
    var out = outbox(); // plus what this tab still sends, should the storage be blocked
    msgs.forEach(function (m) {
      if (m.pending && !m.error && !out.some(function (o) { return o.client_id === m.cid; })) out.push({ client_id: m.cid, content: m.content, files: m.files });
    });
    out.forEach(function (o) { // same client_ids: the server stores each once
      pend(o.client_id, o.content, o.files);
      put({ type: 'send', client_id: o.client_id, content: o.content, files: ids(o.files) });
    });
    if (prePending) { put(prePending); prePending = null; }
    ui.list.setAttribute('aria-live', 'polite'); // history in: only news is announced from now on
    header(); status(); counter(); markRead();
  }
  function error(f) {
    var text = typeof f.message === 'string' && f.message ? f.message : String(f.code || 'error');
    if (typeof f.client_id === 'string') {
      unqueue(f.client_id);
      var m = pendingOf(f.client_id);
      if (m) { m.error = text; draw(m); }
    } else if (f.code === 'identity_rejected') {
      warn(text);
    } else {
      notice(text);
    }
  }
})();
