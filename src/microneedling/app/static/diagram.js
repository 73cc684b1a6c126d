// The face diagram (reports/face_diagram.py): a click or Enter/Space on a zone acts on it.
// data-action on the wrapper says how: "toggle" ticks the zone's checkbox (new plan), "detail"
// opens the zone's detail section (plan editor), "select" chooses the zone in the treatment form
// (session runner). Without JavaScript every form field and detail is still on the page.
(function () {
  "use strict";

  function press(wrapper, group) {
    var zone = group.getAttribute("data-zone");
    var action = wrapper.getAttribute("data-action");
    if (action === "toggle") {
      var box = document.querySelector('input[name="zones"][value="' + zone + '"]');
      if (box) {
        box.checked = !box.checked;
        group.setAttribute("aria-pressed", box.checked ? "true" : "false");
        group.classList.toggle("zone-selected", box.checked);
      }
      return;
    }
    wrapper.querySelectorAll(".zone").forEach(function (g) {
      var on = g === group;
      g.setAttribute("aria-pressed", on ? "true" : "false");
      g.classList.toggle("zone-selected", on);
    });
    if (action === "detail") {
      document.querySelectorAll(".zone-detail").forEach(function (d) {
        d.hidden = d.id !== "zone-detail-" + zone;
      });
      var shown = document.getElementById("zone-detail-" + zone);
      if (shown) {
        var heading = shown.querySelector("h3");
        if (heading) { heading.focus(); }
      }
    } else if (action === "select") {
      var select = document.getElementById("zone");
      if (select) {
        select.value = zone;
        select.dispatchEvent(new Event("change"));
        select.focus();
      }
    }
  }

  document.querySelectorAll("[data-action]").forEach(function (wrapper) {
    wrapper.addEventListener("click", function (event) {
      var group = event.target.closest(".zone");
      if (group) { press(wrapper, group); }
    });
    wrapper.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" && event.key !== " ") { return; }
      var group = event.target.closest(".zone");
      if (group) {
        event.preventDefault();
        press(wrapper, group);
      }
    });
    if (wrapper.getAttribute("data-action") === "detail") {
      var wanted = window.location.hash.replace("#zone-detail-", "");
      document.querySelectorAll(".zone-detail").forEach(function (d, i) {
        d.hidden = wanted ? d.id !== "zone-detail-" + wanted : i !== 0;
      });
    }
    if (wrapper.getAttribute("data-action") === "toggle") {
      document.querySelectorAll('input[name="zones"]').forEach(function (box) {
        box.addEventListener("change", function () {
          var g = wrapper.querySelector('.zone[data-zone="' + box.value + '"]');
          if (g) {
            g.setAttribute("aria-pressed", box.checked ? "true" : "false");
            g.classList.toggle("zone-selected", box.checked);
          }
        });
      });
    }
  });

  // the session runner: when a zone is chosen, fill its planned depth
  var zoneSelect = document.getElementById("zone");
  var depth = document.getElementById("depth_mm");
  if (zoneSelect && depth) {
    zoneSelect.addEventListener("change", function () {
      var option = zoneSelect.options[zoneSelect.selectedIndex];
      var planned = option && option.getAttribute("data-planned");
      if (planned) { depth.value = planned; }
    });
  }
})();
