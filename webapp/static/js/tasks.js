// Task page: after a refused submission the server marks fields .is-invalid; on a phone they are
// far below the case summary, so bring the first one into view and put the cursor in it.
document.addEventListener("DOMContentLoaded", () => {
  const field = document.querySelector('form[data-testid="task-form"] .is-invalid');
  if (!field) return;
  const block = field.closest('[data-testid^="field-"]') || field;
  block.scrollIntoView({ block: "center" });
  field.focus({ preventScroll: true });
});
