// The desk's drag and drop (HTML5, no library). Everything else works without this file:
// the Up/Down buttons and the Section field do the same through plain forms.
(function () {
  "use strict";
  var form = document.getElementById("order-form");
  if (!form) { return; }
  var dragged = null;

  function cardAfter(list, y) {
    var cards = list.querySelectorAll("[data-item]:not(.dragging)");
    for (var i = 0; i < cards.length; i++) {
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) { return cards[i]; }
    }
    return null;
  }

  function save(list) {
    var data = new FormData(form);
    var ids = [];
    list.querySelectorAll("[data-item]").forEach(function (card) { ids.push(card.dataset.item); });
    data.set("section", list.dataset.section);
    data.set("items", ids.join(","));
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(data),
      credentials: "same-origin"
    })
      .then(function () { window.location.reload(); });
  }

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
      if (dragged) { save(list); }
    });
  });
}());
