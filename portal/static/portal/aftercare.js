// Aftercare's small progressive enhancements. No inline scripts (CSP), no CDN.
(function () {
  "use strict";
  // Show the value of each 0-10 slider next to it, for people who cannot see the thumb position.
  function bindRangeOutputs(root) {
    root.querySelectorAll("input[type=range][data-output]").forEach(function (input) {
      var output = document.getElementById(input.dataset.output);
      if (!output) return;
      var update = function () { output.textContent = input.value; };
      input.addEventListener("input", update);
      update();
    });
  }
  // One-time codes (TOTP, recovery codes) are digits: bring up the number pad on phones.
  function numericCodeInputs(root) {
    root.querySelectorAll('input[autocomplete="one-time-code"]').forEach(function (input) {
      input.setAttribute("inputmode", "numeric");
    });
  }
  // The phone's top navigation scrolls sideways. A browser leaves a half-visible link
  // where it is when it gets the focus: bring the focused link, and the current
  // page's link on arrival, fully into view.
  function revealNavLinks() {
    var nav = document.querySelector(".mainnav");
    if (!nav) return;
    var reveal = function (link) { link.scrollIntoView({ block: "nearest", inline: "nearest" }); };
    nav.addEventListener("focusin", function (event) { reveal(event.target); });
    var current = nav.querySelector('[aria-current="page"]');
    if (current) reveal(current);
  }

  // --- Nothing typed is lost (issue 17) -------------------------------------------------
  // A diary entry or a message (form[data-keep-draft]) is copied into this tab's
  // sessionStorage when it is submitted: never localStorage, never a cookie, so it
  // goes when the tab closes. When the answer is the sign-in page (the session had
  // timed out) the copy is kept; after signing in again the same form gets it back,
  // with a notice. Any signed-in page that does not send the form back means the
  // server took it: the copy is removed; signing out removes every copy.
  var DRAFT_PREFIX = "aftercare-draft:";
  var SKIPPED = { hidden: 1, file: 1, submit: 1, button: 1, password: 1, reset: 1 };

  function store() {
    try { return window.sessionStorage; } catch (error) { return null; }
  }
  function reader() { return document.body.dataset.reader || ""; }
  function draftKey(form) {
    return DRAFT_PREFIX + form.dataset.keepDraft + ":" + new URL(form.getAttribute("action") || "", location.href).pathname;
  }
  function draftKeys(storage) {
    var keys = [];
    for (var i = 0; i < storage.length; i++) {
      var key = storage.key(i);
      if (key && key.indexOf(DRAFT_PREFIX) === 0) keys.push(key);
    }
    return keys;
  }
  function readDraft(storage, key) {
    try { return JSON.parse(storage.getItem(key)); } catch (error) { return null; }
  }
  function fieldsOf(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || SKIPPED[el.type]) return;
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) (fields[el.name] = fields[el.name] || []).push(el.value);
        return;
      }
      fields[el.name] = [el.value];
    });
    return fields;
  }
  function restoreFields(form, fields) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIPPED[el.type] || !Object.prototype.hasOwnProperty.call(fields, el.name)) return;
      var values = fields[el.name];
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values.indexOf(el.value) !== -1;
      } else {
        el.value = values[0];
      }
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }
  function showDraftNotice(text) {
    var notice = document.getElementById("draft-notice");
    if (!notice) return;
    notice.textContent = text;
    notice.hidden = false;
  }
  function keepDrafts() {
    var storage = store();
    if (!storage) return;
    document.querySelectorAll("form[data-keep-draft]").forEach(function (form) {
      form.addEventListener("submit", function () {
        storage.setItem(draftKey(form), JSON.stringify({ reader: reader(), state: "pending", fields: fieldsOf(form) }));
      });
    });
    document.querySelectorAll('form[action$="/accounts/logout/"]').forEach(function (form) {
      form.addEventListener("submit", function () { draftKeys(storage).forEach(function (key) { storage.removeItem(key); }); });
    });
    var keys = draftKeys(storage);
    if (!keys.length) return;
    if (!reader()) {
      // Signed out with something unsaved: the time-out. Keep it for after signing in.
      keys.forEach(function (key) {
        var draft = readDraft(storage, key);
        if (!draft) return storage.removeItem(key);
        draft.state = "interrupted";
        storage.setItem(key, JSON.stringify(draft));
      });
      showDraftNotice("What you typed was not saved because you were signed out. It is kept in this tab only: sign in again to get it back.");
      return;
    }
    var saved = {};
    document.querySelectorAll("[data-draft-saved]").forEach(function (el) { saved[el.dataset.draftSaved] = true; });
    keys.forEach(function (key) {
      var draft = readDraft(storage, key);
      var name = key.slice(DRAFT_PREFIX.length).split(":")[0];
      if (!draft || draft.reader !== reader() || saved[name]) return storage.removeItem(key);
      var form = Array.prototype.find.call(document.querySelectorAll("form[data-keep-draft]"), function (f) { return draftKey(f) === key; });
      var bound = form && form.hasAttribute("data-bound");
      if (draft.state === "pending") {
        // The form came back with its errors: the server has it, as typed. Any other
        // signed-in page: it was saved.
        if (!bound) storage.removeItem(key);
        return;
      }
      if (form && !bound) {
        restoreFields(form, draft.fields || {});
        showDraftNotice("You were signed out before this was saved. What you typed is back below: check it, then send it again.");
      }
    });
  }

  // --- The idle time-out warning ----------------------------------------------------------
  // Two minutes before the session would end, say so and offer "Stay signed in": a
  // POST that gives the session its full idle time back. Counted from the seconds the
  // server says are left when the page was made.
  var WARN_BEFORE_MS = 120000;
  function sessionWarning() {
    var body = document.body;
    var left = parseInt(body.dataset.sessionSecondsLeft, 10);
    var box = document.getElementById("session-warning");
    var stay = document.getElementById("session-stay");
    if (isNaN(left) || !box || !stay) return;
    var text = document.getElementById("session-warning-text");
    var deadline = Date.now() + left * 1000;
    var timers = [];
    function clear() { timers.forEach(clearTimeout); timers = []; }
    function ended() {
      clear();
      text.textContent = "You have been signed out because nothing happened for a while. Anything you send from this page is kept in this tab until you sign in again.";
      stay.hidden = true;
      box.hidden = false;
    }
    function warn() {
      text.textContent = "You will be signed out in 2 minutes because nothing has happened for a while.";
      stay.hidden = false;
      box.hidden = false;
    }
    function schedule() {
      clear();
      box.hidden = true;
      var now = Date.now();
      timers.push(setTimeout(warn, Math.max(0, deadline - WARN_BEFORE_MS - now)));
      timers.push(setTimeout(ended, Math.max(0, deadline - now)));
    }
    stay.addEventListener("click", function () {
      var token = "";
      try { token = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (error) { token = ""; }
      fetch(body.dataset.keepAliveUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": token, "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("signed out");
          return response.json();
        })
        .then(function (answer) {
          deadline = Date.now() + answer.seconds_left * 1000;
          schedule();
        })
        .catch(ended);
    });
    schedule();
  }

  // The time-zone picker: this device's zone joins the likely ones at the top.
  function likelyZones() {
    var select = document.querySelector("select[data-likely-zones]");
    if (!select || !window.Intl) return;
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (error) { return; }
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === zone; });
    if (!option) return;
    var likely = select.querySelector('optgroup[label="Likely for you"]');
    if (!likely) {
      likely = document.createElement("optgroup");
      likely.label = "Likely for you";
      select.insertBefore(likely, select.firstChild);
    }
    if (option.parentNode === likely) return;
    option.textContent = option.textContent + " (this device)";
    likely.insertBefore(option, likely.firstChild);
  }
  // "Copy key" (TOTP set-up): the value to the clipboard, and say so.
  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (!navigator.clipboard) return;
        navigator.clipboard.writeText(button.dataset.copy).then(function () {
          button.textContent = button.dataset.copiedText || "Copied";
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    copyButtons();
    likelyZones();
    keepDrafts();
    sessionWarning();
    bindRangeOutputs(document);
    numericCodeInputs(document);
    revealNavLinks();
  });
  document.addEventListener("htmx:afterSwap", function (event) { bindRangeOutputs(event.target); });
})();
