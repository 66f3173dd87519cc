// Profile page: copy a newly created API token (shown once) to the clipboard.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-select-on-focus]").forEach((field) => {
    field.addEventListener("focus", () => field.select());
  });
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copyTarget);
      if (!field) return;
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
      } catch (_error) {
        document.execCommand("copy"); // no clipboard API outside HTTPS: copy the selection
      }
      const label = button.querySelector("span");
      if (label && button.dataset.copiedLabel) label.textContent = button.dataset.copiedLabel;
    });
  });
});
