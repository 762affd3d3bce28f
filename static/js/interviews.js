// Interviews: parts of the form that only apply to some answers (the held date to a held interview, the
// complementary rights to a CAF rights interview) are hidden and disabled otherwise. Without JavaScript
// everything shows and the server says which field is wrong.
function syncDependentFields(form) {
  form.querySelectorAll("[data-show-when-field]").forEach((block) => {
    const control = form.elements[block.dataset.showWhenField];
    const shown = !control || control.value === block.dataset.showWhenValue;
    block.hidden = !shown;
    block.querySelectorAll("input, select, textarea").forEach((input) => {
      input.disabled = !shown;
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form.interview-form").forEach((form) => {
    syncDependentFields(form);
    form.addEventListener("change", () => syncDependentFields(form));
  });
});

// File page: after a quick status change swapped an interview's row (htmx), move the keyboard focus to
// what happened so that keyboard and screen-reader users keep their place.
document.addEventListener("htmx:load", (event) => {
  const element = event.detail.elt;
  const target = element.matches?.("[data-interview-focus]")
    ? element
    : element.querySelector?.("[data-interview-focus]");
  if (target) {
    target.focus();
  }
});
