// Small behaviours shared by every page (no inline scripts: the CSP allows only files from 'self').
document.addEventListener("DOMContentLoaded", () => {
  // buttons with data-confirm ask before a destructive action
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
});
