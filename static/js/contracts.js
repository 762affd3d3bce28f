// Contract pages.
// 1. After htmx swapped the contract's work area (hours recorded, status changed), move the keyboard focus
//    to the confirmation or to the first field in error, so that keyboard and screen-reader users know
//    what happened.
// 2. In the signing form, keep the suggested end (6 months after the start) in step with the start, as
//    long as the user has not typed an end of their own. Without JavaScript, an empty end gets the same.
document.addEventListener("htmx:load", (event) => {
  const element = event.detail.elt;
  if (!element.matches?.("#travail-contrat")) {
    return;
  }
  const target = element.querySelector("[data-contract-focus]") || element.querySelector(".is-invalid");
  if (target) {
    target.closest("details")?.setAttribute("open", "");
    target.focus();
  }
});

const CONTRACT_MONTHS = 6;

function parseFrenchDate(text) {
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
  if (!match) {
    return null;
  }
  const [day, month, year] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const date = new Date(year, month, day);
  return date.getMonth() === month && date.getDate() === day ? date : null;
}

function addMonths(date, months) {
  const target = new Date(date.getFullYear(), date.getMonth() + months, 1);
  const lastDay = new Date(target.getFullYear(), target.getMonth() + 1, 0).getDate();
  target.setDate(Math.min(date.getDate(), lastDay));
  return target;
}

function formatFrenchDate(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(date.getDate())}/${pad(date.getMonth() + 1)}/${date.getFullYear()}`;
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-contract-form]");
  const start = form?.querySelector("[name=starts_on]");
  const end = form?.querySelector("[data-contract-end]");
  if (!start || !end) {
    return;
  }
  const suggestion = () => {
    const date = parseFrenchDate(start.value);
    return date ? formatFrenchDate(addMonths(date, CONTRACT_MONTHS)) : "";
  };
  let suggested = end.value === suggestion() || end.value === "";
  end.addEventListener("input", () => {
    suggested = end.value === "";
  });
  start.addEventListener("input", () => {
    const value = suggestion();
    if (suggested && value) {
      end.value = value;
    }
  });
});
