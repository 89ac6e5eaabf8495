// storyline: small progressive enhancements. No innerHTML anywhere: only classList and textContent.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Compare: show that scoring is running (models may take a few seconds on first use).
  var form = document.querySelector("form.compare-form");
  if (form) {
    form.addEventListener("submit", function () {
      var button = document.getElementById("compare-button");
      if (button) { button.disabled = true; button.textContent = "Scoring…"; }
    });
  }
  // Compare: hovering an aligned sentence outlines its partner in the other text.
  document.querySelectorAll("mark[data-pair]").forEach(function (mark) {
    var pair = mark.getAttribute("data-pair");
    if (!/^\d+$/.test(pair)) { return; }
    var partners = function () { return document.querySelectorAll('mark[data-pair="' + pair + '"]'); };
    mark.addEventListener("mouseenter", function () { partners().forEach(function (m) { m.classList.add("pair-hover"); }); });
    mark.addEventListener("mouseleave", function () { partners().forEach(function (m) { m.classList.remove("pair-hover"); }); });
  });
});
