// Task forms: a group of fields that matters for one choice only (a <fieldset data-show-when>)
// is shown while that choice is made and hidden otherwise. A hidden group is also disabled, so
// its fields neither block the submission nor send their values; fields the choice requires
// (data-required-when-shown) are required only while shown. Without JavaScript every group
// stays visible under its "Only if you choose …" heading and the server ignores the others.
(function () {
  "use strict";

  // what the controlling field currently says: [] when unanswered
  function current(form, name) {
    const controls = Array.from(form.elements).filter((el) => el.name === name);
    const picked = [];
    controls.forEach((el) => {
      if (el.type === "radio") {
        if (el.checked) picked.push(el.value);
      } else if (el.type === "checkbox") {
        if (controls.length === 1) picked.push(el.checked ? "true" : "false");
        else if (el.checked) picked.push(el.value);
      } else if (el.value !== "") {
        picked.push(el.value);
      }
    });
    return picked;
  }

  function holds(form, group) {
    const picked = current(form, group.dataset.showWhen);
    if (group.dataset.showValues === undefined) {
      return picked.length > 0 && !(picked.length === 1 && picked[0] === "false");
    }
    const wanted = JSON.parse(group.dataset.showValues);
    return picked.some((value) => wanted.includes(value));
  }

  function update(form) {
    form.querySelectorAll("[data-show-when]").forEach((group) => {
      const show = holds(form, group);
      group.hidden = !show;
      if (group.tagName === "FIELDSET") group.disabled = !show;
      group.querySelectorAll("[data-required-when-shown]").forEach((el) => {
        el.required = show;
        el.setAttribute("aria-required", show ? "true" : "false");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form").forEach((form) => {
      if (!form.querySelector("[data-show-when]")) return;
      update(form);
      form.addEventListener("change", () => update(form));
      form.addEventListener("input", () => update(form));
    });
  });
})();
