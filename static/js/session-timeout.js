/* After the server-side idle time-out, reload so the server sends the user to the login page
   instead of leaving patient data on an unattended screen. */
(function () {
  "use strict";

  var seconds = parseInt(document.body.dataset.idleTimeout, 10);
  if (!seconds || seconds <= 0) {
    return;
  }
  // A few seconds' grace so the reload lands after the session has really expired.
  var delay = (seconds + 5) * 1000;
  var timer = null;

  function reset() {
    if (timer !== null) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(function () {
      window.location.reload();
    }, delay);
  }

  // Only requests to the server extend the session, so only they reset the timer.
  document.addEventListener("htmx:afterRequest", reset);
  // A page restored from the back/forward cache starts a fresh count from its own load.
  window.addEventListener("pageshow", reset);
  reset();
})();
