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
      btn.textContent = document.body.getAttribute("data-copied") || old;
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
      // A section may serve several channels: data-channel="whatsapp sms".
      var on = section.getAttribute("data-channel").split(" ").indexOf(select.value) >= 0;
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
  // A provider picker (input[data-provider-pick] radios, WhatsApp: Cloud API or Twilio)
  // shows only that provider's fields ([data-provider="cloud"] …) in its fieldset.
  // Without this script both show, and the server reads only the chosen one's.
  function showProvider(radio) {
    var box = radio.closest("fieldset");
    if (!box || !radio.checked) return;
    box.querySelectorAll("[data-provider]").forEach(function (part) {
      part.hidden = part.getAttribute("data-provider") !== radio.value;
    });
  }
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.matches && t.matches("input[data-provider-pick]")) showProvider(t);
  });
  document.querySelectorAll("input[data-provider-pick]").forEach(showProvider);
})();
