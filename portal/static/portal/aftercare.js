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
  document.addEventListener("DOMContentLoaded", function () {
    bindRangeOutputs(document);
    numericCodeInputs(document);
    revealNavLinks();
  });
  document.addEventListener("htmx:afterSwap", function (event) { bindRangeOutputs(event.target); });
})();
