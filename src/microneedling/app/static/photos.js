// Before/after slider: the range input uncovers the aligned "after" image over "before".
(function () {
  "use strict";
  var range = document.getElementById("slider-position");
  var after = document.getElementById("slider-after");
  if (!range || !after) { return; }
  function place() { after.style.clipPath = "inset(0 0 0 " + range.value + "%)"; }
  range.addEventListener("input", place);
  place();
})();
