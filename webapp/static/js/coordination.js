// Coordination forms: filter long agency lists, and give each agency asked a box of its own.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-agency-filter]").forEach((input) => {
    const list = document.querySelector(`[data-agency-list="${input.dataset.agencyFilter}"]`);
    if (!list) return;
    input.addEventListener("input", () => {
      const text = input.value.trim().toLowerCase();
      list.querySelectorAll("[data-agency-option]").forEach((option) => {
        option.hidden = Boolean(text) && !option.dataset.agencyOption.includes(text);
      });
      list.querySelectorAll("[data-agency-group]").forEach((group) => {
        group.hidden = !group.querySelector("[data-agency-option]:not([hidden])");
      });
    });
    // Enter in the filter must not send the form
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault();
    });
  });

  // One box per ticked agency: its own question and whether its answer is required. Unticking
  // hides the box and keeps what was typed in it; hidden boxes are not sent.
  const form = document.querySelector("[data-coordination-asks]");
  if (form) {
    const list = form.querySelector('[data-agency-list="agencies"]');
    const boxes = form.querySelector("[data-asks]");
    const template = form.querySelector("[data-ask-template]");
    const empty = form.querySelector("[data-asks-empty]");
    form.querySelectorAll("[data-no-js]").forEach((button) => { button.hidden = true; });
    const boxFor = (checkbox) => {
      let box = boxes.querySelector(`[data-ask="${CSS.escape(checkbox.value)}"]`);
      if (!box) {
        // fill the template through the DOM, never as markup: names and codes stay text
        const name = form.querySelector(`label[for="${CSS.escape(checkbox.id)}"]`).textContent.trim();
        const fragment = template.content.cloneNode(true);
        box = fragment.querySelector("[data-ask]");
        box.querySelectorAll("*").forEach((element) => {
          for (const attribute of [...element.attributes]) {
            if (attribute.value.includes("__CODE__")) {
              element.setAttribute(attribute.name, attribute.value.replaceAll("__CODE__", checkbox.value));
            }
          }
        });
        box.dataset.ask = checkbox.value;
        box.dataset.testid = `ask-${checkbox.value}`;
        const label = box.querySelector("label.form-label");
        label.textContent = label.textContent.replace("__NAME__", name);
        boxes.appendChild(fragment);
      }
      return box;
    };
    const sync = () => {
      list.querySelectorAll("input[type=checkbox]").forEach((checkbox) => {
        const existing = boxes.querySelector(`[data-ask="${CSS.escape(checkbox.value)}"]`);
        if (!checkbox.checked && !existing) return;
        const box = checkbox.checked ? boxFor(checkbox) : existing;
        box.hidden = !checkbox.checked;
        box.querySelectorAll("textarea, input").forEach((input) => { input.disabled = !checkbox.checked; });
      });
      empty.hidden = Boolean(boxes.querySelector("[data-ask]:not([hidden])"));
    };
    list.addEventListener("change", sync);
    sync();
  }
});
