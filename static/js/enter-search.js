// Enter in a search field marked data-enter-searches runs its htmx search (the "enter-search" trigger)
// instead of submitting the form around it. A static file, not an hx-on handler: the CSP runs no inline code.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (event.key !== "Enter" || !(field instanceof HTMLInputElement) || !field.matches("[data-enter-searches]")) {
    return;
  }
  event.preventDefault();
  window.htmx.trigger(field, "enter-search");
});
