/* The CI list's filter builder: add and remove attribute conditions (rows of attribute + value). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("attribute-filters");
    var add = document.getElementById("add-condition");
    if (!box || !add) { return; }
    box.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-condition]");
      if (!button) { return; }
      var rows = box.querySelectorAll("[data-condition]");
      var row = button.closest("[data-condition]");
      if (rows.length > 1) { row.remove(); } else { row.querySelectorAll("select, input").forEach(function (el) { el.value = ""; }); }
    });
    add.addEventListener("click", function () {
      var rows = box.querySelectorAll("[data-condition]");
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll("select, input").forEach(function (el) { el.value = ""; });
      add.parentNode.insertBefore(copy, add);
    });
  });
})();
