// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Forms with data-confirm ask before they submit (deactivate, delete, revoke).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
  // Buttons with data-copy="ID" copy that element's text.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.getElementById(btn.getAttribute("data-copy"));
    if (!el || !navigator.clipboard) return;
    navigator.clipboard.writeText(el.textContent.trim()).then(function () {
      var old = btn.textContent;
      btn.textContent = "Copied";
      setTimeout(function () { btn.textContent = old; }, 1500);
    });
  });
  // A form with a channel picker (select[data-channel-select]) shows only the sections
  // of the chosen channel ([data-channel="email"] …). Without this script every section
  // shows, and the server ignores the fields of the other channel.
  function showChannel(select) {
    var form = select.form;
    if (!form) return;
    form.querySelectorAll("[data-channel]").forEach(function (section) {
      var on = section.getAttribute("data-channel") === select.value;
      section.hidden = !on;
      // A disabled fieldset is neither validated nor sent.
      if (section.tagName === "FIELDSET") section.disabled = !on;
    });
  }
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.matches && t.matches("select[data-channel-select]")) showChannel(t);
  });
  document.querySelectorAll("select[data-channel-select]").forEach(showChannel);
})();
