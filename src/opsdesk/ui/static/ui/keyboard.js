/* Keyboard work for agents: j/k move through the queue, Enter opens, / searches, g-prefixed jumps, ? for help. */
(function () {
  "use strict";
  var pendingG = false;
  var gTimer = null;

  function typing(event) {
    var el = event.target;
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-queue-row]")); }

  function select(index, remember) {
    var list = rows();
    if (!list.length) { return; }
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (row, i) {
      row.classList.toggle("selected", i === index);
      row.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    list[index].scrollIntoView({ block: "nearest" });
    if (remember !== false) {
      try { sessionStorage.setItem("opsdesk.queue.selected", list[index].dataset.href); } catch (e) { /* private mode */ }
    }
  }

  function current() {
    var list = rows();
    for (var i = 0; i < list.length; i++) { if (list[i].classList.contains("selected")) { return i; } }
    return -1;
  }

  function go(url) { if (url) { window.location.href = url; } }

  function link(selector) {
    var el = document.querySelector(selector);
    return el ? el.getAttribute("href") : null;
  }

  function restoreSelection() {
    var remembered = null;
    try { remembered = sessionStorage.getItem("opsdesk.queue.selected"); } catch (e) { /* ignore */ }
    var list = rows();
    if (!list.length) { return; }
    var index = 0;
    list.forEach(function (row, i) { if (row.dataset.href === remembered) { index = i; } });
    select(index, false);
  }

  var jumps = {
    q: function () { return document.body.dataset.queueUrl + "?queue=mine"; },
    g: function () { return document.body.dataset.queueUrl + "?queue=my_groups"; },
    u: function () { return document.body.dataset.queueUrl + "?queue=unassigned"; },
    d: function () { return document.body.dataset.homeUrl; },
    n: function () { return document.body.dataset.notificationsUrl; }
  };

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && typing(event)) { event.target.blur(); return; }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (document.querySelector(".modal.show") && event.key !== "?") { return; }
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      clearTimeout(gTimer);
      if (jumps[key]) { event.preventDefault(); go(jumps[key]()); }
      return;
    }
    switch (key) {
      case "j": event.preventDefault(); select(current() + 1); break;
      case "k": event.preventDefault(); select(current() - 1); break;
      case "Enter":
      case "o":
        if (key === "Enter" && event.target !== document.body && !event.target.matches("[data-queue-row]")) { return; }
        var i = current();
        if (i >= 0) { event.preventDefault(); go(rows()[i].dataset.href); }
        break;
      case "/":
        var box = document.querySelector("#main [data-search-box]") || document.querySelector("[data-search-box]");
        if (box) { event.preventDefault(); box.focus(); box.select(); }
        break;
      case "g":
        pendingG = true;
        gTimer = setTimeout(function () { pendingG = false; }, 1200);
        break;
      case "c": go(link("[data-shortcut=new]")); break;
      case "n": go(link("[data-shortcut=next-page]")); break;
      case "p": go(link("[data-shortcut=first-page]")); break;
      case "u": go(link("[data-shortcut=back]")); break;
      case "?":
        event.preventDefault();
        var help = document.getElementById("keyboard-help");
        if (help && window.bootstrap) { window.bootstrap.Modal.getOrCreateInstance(help).toggle(); }
        break;
    }
  });

  document.addEventListener("DOMContentLoaded", restoreSelection);
  document.addEventListener("htmx:afterSwap", restoreSelection);
})();
