// Small behaviours shared by every page (no inline scripts: the CSP allows only files from 'self').
document.addEventListener("DOMContentLoaded", () => {
  // htmx requests carry the CSRF token from the page's meta tag
  const token = document.querySelector('meta[name="csrf-token"]');
  document.body.addEventListener("htmx:configRequest", (event) => {
    if (token) event.detail.headers["X-CSRFToken"] = token.content;
  });
  // buttons with data-confirm ask before a destructive action
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
});
