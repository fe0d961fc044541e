/* The "Record a session" page, enhanced: the page works without it (the server decides what is addressed).
   - A goal whose note, value, rating or intervention gets an entry shows as addressed (its tick is set),
     as the server will count it.
   - "Same interventions as last time" ticks what the last session delivered, in one click. */
(function () {
  "use strict";

  var form = document.querySelector("form.session-form");
  if (!form) {
    return;
  }

  function hasEntry(progress) {
    var fields = progress.querySelectorAll("textarea, input");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === "radio" || field.type === "checkbox") {
        if (field.checked && field.value !== "") {
          return true;
        }
      } else if (field.value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function markAddressed(event) {
    var progress = event.target.closest(".session-goal-progress");
    if (!progress) {
      return;
    }
    // The goal's own tick: its sub-goals sit in a sibling list, not inside its progress fields.
    var tick = progress.parentElement.querySelector(":scope > .session-goal-check input[type=checkbox]");
    if (tick && !tick.checked && hasEntry(progress)) {
      tick.checked = true;
    }
  }

  form.addEventListener("input", markAddressed);
  form.addEventListener("change", markAddressed);

  var same = form.querySelector("[data-same-as-last]");
  if (same) {
    var status = document.getElementById("same-as-last-status");
    same.hidden = false;
    same.addEventListener("click", function () {
      var ticked = 0;
      same.dataset.tick.split(" ").forEach(function (id) {
        var box = id && document.getElementById(id);
        if (box && !box.checked) {
          box.checked = true;
          box.dispatchEvent(new Event("change", { bubbles: true }));
          ticked += 1;
        }
      });
      if (status) {
        status.textContent = ticked
          ? "Ticked " + ticked + " intervention" + (ticked === 1 ? "" : "s") + " from the last session."
          : "The last session's interventions are already ticked.";
      }
    });
  }
})();
