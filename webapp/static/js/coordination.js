// Coordination forms: filter long agency lists, and require answers only from agencies that are asked.
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

  const asked = document.querySelector('[data-agency-list="coordination_agencies"]');
  const required = document.querySelector('[data-agency-list="required_agencies"]');
  if (asked && required) {
    const sync = () => {
      required.querySelectorAll("input[type=checkbox]").forEach((box) => {
        const source = asked.querySelector(`input[value="${CSS.escape(box.value)}"]`);
        const on = Boolean(source && source.checked);
        box.disabled = !on;
        if (!on) box.checked = false;
        box.closest(".form-check").classList.toggle("text-body-secondary", !on);
      });
    };
    asked.addEventListener("change", sync);
    sync();
  }
});
