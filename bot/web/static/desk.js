// The desk's two enhancements, plain browser APIs, no library. Everything else works without
// this file: the Up/Down buttons and the Section field reorder through plain forms, and a
// reload shows what changed elsewhere.
(function () {
  "use strict";

  // --- live update: the page's event stream says when chat, the CLI or another tab changed
  // the digest; reload then, unless the editor is in the middle of an edit.
  function notice() {
    var main = document.getElementById("main");
    if (document.getElementById("changed")) { return; }
    var note = document.createElement("p");
    note.id = "changed";
    note.className = "notice";
    note.setAttribute("role", "status");
    var link = document.createElement("a");
    link.href = window.location.href;
    link.textContent = "Reload to see it.";
    note.append("This digest changed elsewhere. ", link);
    main.prepend(note);
  }

  function editing() {
    var focused = document.activeElement;
    var field = focused && /^(INPUT|TEXTAREA|SELECT)$/.test(focused.tagName);
    return Boolean(field || document.querySelector("details[open] form"));
  }

  function listen() {
    var main = document.getElementById("main");
    var source = main && main.dataset.events;
    if (!source || !window.EventSource) { return; }
    var stream = new EventSource(source);
    stream.addEventListener("changed", function () {
      stream.close();
      if (editing()) { notice(); } else { window.location.reload(); }
    });
  }

  // --- drag and drop (HTML5): drop a card into a section, the new order is posted.
  function cardAfter(list, y) {
    var cards = list.querySelectorAll("[data-item]:not(.dragging)");
    for (var i = 0; i < cards.length; i++) {
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) { return cards[i]; }
    }
    return null;
  }

  function save(form, list) {
    var data = new FormData(form);
    var ids = [];
    list.querySelectorAll("[data-item]").forEach(function (card) { ids.push(card.dataset.item); });
    data.set("section", list.dataset.section);
    data.set("items", ids.join(","));
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(data),
      credentials: "same-origin"
    }).then(function () { window.location.reload(); });
  }

  function draggable() {
    var form = document.getElementById("order-form");
    if (!form) { return; }
    var dragged = null;
    document.querySelectorAll("[data-item]").forEach(function (card) {
      card.setAttribute("draggable", "true");
      card.addEventListener("dragstart", function (event) {
        dragged = card;
        card.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", card.dataset.item);
      });
      card.addEventListener("dragend", function () {
        card.classList.remove("dragging");
        dragged = null;
      });
    });
    document.querySelectorAll("[data-section]").forEach(function (list) {
      list.addEventListener("dragover", function (event) {
        if (!dragged) { return; }
        event.preventDefault();
        list.classList.add("drop-target");
        var after = cardAfter(list, event.clientY);
        if (after) { list.insertBefore(dragged, after); } else { list.appendChild(dragged); }
      });
      list.addEventListener("dragleave", function () { list.classList.remove("drop-target"); });
      list.addEventListener("drop", function (event) {
        event.preventDefault();
        list.classList.remove("drop-target");
        if (dragged) { save(form, list); }
      });
    });
  }

  listen();
  draggable();
}());
