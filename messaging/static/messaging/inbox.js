// Inbox keyboard support: j/k move between rows, x selects, Enter opens the item in the
// pane, c claims, e marks done. Row actions go through htmx (the row comes back in
// place); this keeps the focus and the ticked boxes across that swap. No inline script (CSP).
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-inbox] [data-row]")); }
  function current() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("[data-row]") : null;
  }
  function markCurrent(row) {
    rows().forEach(function (r) { r.classList.toggle("is-current", r === row); });
  }
  function focusRow(row) {
    if (!row) return;
    markCurrent(row);
    var target = row.querySelector("[data-open]");
    if (target) { target.focus({ preventScroll: true }); row.scrollIntoView({ block: "nearest" }); }
  }
  function typing(event) {
    var tag = (event.target.tagName || "").toLowerCase();
    return tag === "input" && event.target.type !== "checkbox" || tag === "select" || tag === "textarea" || event.target.isContentEditable;
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event)) return;
    var all = rows();
    if (!all.length) return;
    var row = current();
    var index = row ? all.indexOf(row) : -1;
    if (event.key === "j") { focusRow(all[Math.min(index + 1, all.length - 1)]); event.preventDefault(); }
    else if (event.key === "k") { focusRow(all[Math.max(index - 1, 0)]); event.preventDefault(); }
    else if (event.key === "x" && row) {
      var box = row.querySelector("[data-select]");
      if (box) { box.checked = !box.checked; }
      event.preventDefault();
    } else if ((event.key === "c" || event.key === "e") && row) {
      var button = row.querySelector(event.key === "c" ? "[data-claim]" : "[data-action=done]");
      if (button) { button.click(); event.preventDefault(); }
    }
  });
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("[data-row]");
    if (row) { markCurrent(row); }
    // A focused link in a cell cut with an ellipsis scrolls the cell sideways, blanking
    // it: keep the start of the text in view.
    var cell = event.target.closest && event.target.closest("td");
    if (cell) { cell.scrollLeft = 0; }
  });
  document.addEventListener("change", function (event) {
    if (!event.target.matches || !event.target.matches("[data-select-all]")) return;
    document.querySelectorAll("[data-inbox] [data-select]").forEach(function (box) { box.checked = event.target.checked; });
  });
  // Before a row is swapped: remember whether it was ticked and what had the focus in it.
  var kept = {};
  document.addEventListener("htmx:beforeSwap", function (event) {
    var row = event.detail.target;
    if (!row || !row.matches || !row.matches("[data-row]")) return;
    var box = row.querySelector("[data-select]");
    var active = document.activeElement;
    var inRow = active && row.contains(active);
    kept[row.id] = {
      checked: !!(box && box.checked),
      action: inRow && active.getAttribute("data-action"),
      hadFocus: inRow || active === document.body
    };
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && target.id === "inbox-pane") {
      // The split view opens with the first item shown; its heading takes the focus only
      // when the item was opened from the pane itself (next item), so j/k keep working.
      var split = document.querySelector("[data-split]");
      if (split) { split.classList.add("has-pane"); }
      var from = event.detail.requestConfig && event.detail.requestConfig.elt;
      if (from && from.hasAttribute && from.hasAttribute("data-next")) {
        var title = document.getElementById("pane-title");
        if (title) { title.focus(); }
        var row = document.getElementById("item-" + target.querySelector("[data-pane]").getAttribute("data-id"));
        if (row) { markCurrent(row); row.scrollIntoView({ block: "nearest" }); }
      }
      return;
    }
    Object.keys(kept).forEach(function (id) {
      var row = document.getElementById(id);
      var state = kept[id];
      delete kept[id];
      if (!row) return;
      var box = row.querySelector("[data-select]");
      if (box) { box.checked = state.checked; }
      if (!state.hadFocus) return;
      // The same button when it is still there, else the next action, else the row's title.
      var focus = (state.action && row.querySelector("[data-action=" + state.action + "]")) ||
        row.querySelector(".row-actions button") || row.querySelector("[data-open]");
      if (focus) { focus.focus(); markCurrent(row); }
    });
  });
  // Opening an item marks its row as the current one. On a narrow screen there is no
  // room beside the list: the item opens as its own page.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var link = event.detail.elt;
    if (!link || !link.hasAttribute || !(link.hasAttribute("data-open") || link.hasAttribute("data-next"))) return;
    if (window.matchMedia && !window.matchMedia("(min-width: 1100px)").matches) {
      event.preventDefault();
      window.location.href = link.getAttribute("href");
      return;
    }
    var row = link.closest && link.closest("[data-row]");
    if (row) { markCurrent(row); }
  });
})();
