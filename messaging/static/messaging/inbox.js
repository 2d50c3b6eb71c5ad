// Inbox keyboard support: j/k move between rows, x selects, Enter opens, c claims.
// Plain forms do the work; this only moves focus and ticks boxes. No inline script (CSP).
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-inbox] [data-row]")); }
  function current() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("[data-row]") : null;
  }
  function focusRow(row) {
    if (!row) return;
    rows().forEach(function (r) { r.classList.remove("is-current"); });
    row.classList.add("is-current");
    var target = row.querySelector("[data-open]");
    if (target) { target.focus(); row.scrollIntoView({ block: "nearest" }); }
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
    } else if (event.key === "c" && row) {
      var claim = row.querySelector("[data-claim]");
      if (claim) { claim.click(); event.preventDefault(); }
    }
  });
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("[data-row]");
    if (row) { rows().forEach(function (r) { r.classList.toggle("is-current", r === row); }); }
  });
  document.addEventListener("change", function (event) {
    if (!event.target.matches || !event.target.matches("[data-select-all]")) return;
    document.querySelectorAll("[data-inbox] [data-select]").forEach(function (box) { box.checked = event.target.checked; });
  });
})();
