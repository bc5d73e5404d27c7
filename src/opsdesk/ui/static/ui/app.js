/* opsdesk UI behaviour: small, progressive; every page works without it. */
(function () {
  "use strict";

  function openMarkedModals() {
    // A form that came back with errors lives in a dialog: show it again so the user sees why.
    document.querySelectorAll("[data-open-on-load]").forEach(function (el) {
      if (window.bootstrap && el.classList.contains("modal")) {
        window.bootstrap.Modal.getOrCreateInstance(el).show();
      } else if (window.bootstrap && el.classList.contains("collapse")) {
        window.bootstrap.Collapse.getOrCreateInstance(el, { toggle: false }).show();
      }
    });
    var firstInvalid = document.querySelector(".is-invalid");
    if (firstInvalid && !firstInvalid.closest(".modal")) {
      firstInvalid.scrollIntoView({ block: "center" });
    }
  }

  function rowClicks(root) {
    (root || document).querySelectorAll("tr[data-href]").forEach(function (row) {
      row.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input, select, label")) { return; }
        window.location.href = row.dataset.href;
      });
    });
  }

  function confirmations(root) {
    (root || document).querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }

  function copyButtons(root) {
    (root || document).querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.querySelector(button.dataset.copy);
        if (target && navigator.clipboard) {
          navigator.clipboard.writeText(target.textContent.trim());
          button.classList.add("btn-success");
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    openMarkedModals();
    rowClicks();
    confirmations();
    copyButtons();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    rowClicks(event.detail.target);
    confirmations(event.detail.target);
  });
})();
