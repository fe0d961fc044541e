/* The plan page's goal action menus (native <details>): one open at a time, Escape, a click elsewhere or
   choosing an action closes the open one, and Escape gives the focus back to its "Actions" button. Without this script
   the menus still open and close with Enter, Space or a click. */
(function () {
  "use strict";

  function openMenus() {
    return document.querySelectorAll("details.goal-menu[open]");
  }

  function closeAll(except) {
    openMenus().forEach(function (menu) {
      if (menu !== except) {
        menu.open = false;
      }
    });
  }

  // "toggle" does not bubble: listen in the capture phase so menus swapped in by htmx are covered too.
  document.addEventListener(
    "toggle",
    function (event) {
      var menu = event.target;
      if (menu.matches && menu.matches("details.goal-menu") && menu.open) {
        closeAll(menu);
      }
    },
    true
  );

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var menu = document.activeElement && document.activeElement.closest("details.goal-menu[open]");
    closeAll(null);
    if (menu) {
      menu.querySelector("summary").focus();
    }
  });

  document.addEventListener("click", function (event) {
    var menu = event.target.closest("details.goal-menu");
    closeAll(menu);
    // A chosen action closes its menu, so the form it opens below the row is not covered by the list.
    // After this turn of the event loop: the link or button has done its work (htmx, a submit) by then.
    if (menu && event.target.closest(".goal-menu-list a, .goal-menu-list button")) {
      window.setTimeout(function () {
        menu.open = false;
      }, 0);
    }
  });
})();
