// Orientation worklist: after a quick decision swapped a row (htmx), move the keyboard focus to the
// confirmation so that keyboard and screen-reader users know what happened and keep their place.
document.addEventListener("htmx:load", (event) => {
  const element = event.detail.elt;
  const target = element.matches?.("[data-orientation-focus]")
    ? element
    : element.querySelector?.("[data-orientation-focus]");
  if (target) {
    target.focus();
  }
});
