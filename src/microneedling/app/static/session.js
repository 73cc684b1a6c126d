// The session runner: the numbing dwell timer, and the aftercare sheet's print button.
(function () {
  "use strict";
  var start = document.getElementById("timer-start");
  var product = document.getElementById("numbing_product");
  var applied = document.getElementById("applied_at");
  var shown = document.getElementById("timer");
  var status = document.getElementById("timer-status");
  var began = null;

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    if (began === null) { return; }
    var seconds = Math.floor((Date.now() - began) / 1000);
    shown.textContent = two(Math.floor(seconds / 60)) + ":" + two(seconds % 60);
    var option = product.options[product.selectedIndex];
    var low = parseFloat(option.getAttribute("data-dwell-min"));
    var high = parseFloat(option.getAttribute("data-dwell-max"));
    if (isNaN(low)) { status.textContent = "Choose the numbing product."; return; }
    var minutes = seconds / 60;
    if (minutes < low) {
      status.textContent = Math.ceil(low - minutes) + " min to the product's stated minimum dwell (" + low + " min).";
    } else if (minutes <= high) {
      status.textContent = "Within the stated dwell (" + low + "–" + high + " min): ready to remove.";
    } else {
      status.textContent = "Past the stated maximum dwell (" + high + " min): remove now.";
    }
  }

  if (start && applied) {
    start.addEventListener("click", function () {
      began = Date.now();
      applied.value = new Date(began).toISOString();
      start.textContent = "Timer running (restart)";
      tick();
      window.setInterval(tick, 1000);
    });
    product.addEventListener("change", tick);
  }
  var print = document.getElementById("print");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
})();
