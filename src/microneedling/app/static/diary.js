// Healing diary: show each slider's value beside it (the form works without this script).
(function () {
  "use strict";
  var sliders = document.querySelectorAll(".diary-form input[type=range]");
  Array.prototype.forEach.call(sliders, function (slider) {
    var out = slider.parentNode.querySelector("output");
    if (!out) { return; }
    var show = function () { out.textContent = slider.value + " / 10"; };
    slider.addEventListener("input", show);
    show();
  });
}());
