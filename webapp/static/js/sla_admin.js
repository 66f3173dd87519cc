// Applying an SLA change to running cases: POST one batch after another until the server says
// done, showing progress. The position is kept in the address, so a reload or a later visit
// continues where it stopped (re-running a batch is safe on the server side).
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-sla-apply]");
  if (!box || box.dataset.done === "1") return;
  const form = box.querySelector("[data-apply-form]");
  const start = box.querySelector("[data-apply-start]");
  const pause = box.querySelector("[data-apply-pause]");
  const back = box.querySelector("[data-apply-back]");
  const bar = box.querySelector("[data-progress-bar]");
  const status = box.querySelector("[data-progress-status]");
  const token = document.querySelector('meta[name="csrf-token"]');
  let after = Number(box.dataset.after || 0);
  let running = false;
  let stopRequested = false;

  const show = (data) => {
    const percent = data.total ? Math.round((data.handled / data.total) * 100) : 100;
    bar.style.width = `${percent}%`;
    bar.textContent = `${percent}%`;
    bar.parentElement.setAttribute("aria-valuenow", String(percent));
    box.querySelector("[data-progress-handled]").textContent = data.handled;
    box.querySelector("[data-progress-total]").textContent = data.total;
    box.querySelector("[data-progress-moved]").textContent = data.total_moved;
  };

  const remember = (done) => {
    const url = new URL(window.location.href);
    url.searchParams.delete("start");
    url.searchParams.set("after", String(after));
    if (done) url.searchParams.set("done", "1");
    window.history.replaceState(null, "", url);
    form.querySelector("[data-apply-after]").value = String(after);
  };

  const finish = (text, done) => {
    running = false;
    status.textContent = text;
    pause.classList.add("d-none");
    if (done) {
      start.remove();
      bar.classList.add("bg-success");
      bar.classList.remove("progress-bar-striped", "progress-bar-animated");
      back.classList.remove("d-none");
    } else {
      start.disabled = false;
      start.lastChild.textContent = ` ${start.dataset.continue}`;
    }
  };

  const run = async () => {
    if (running) return;
    running = true;
    stopRequested = false;
    start.disabled = true;
    pause.classList.remove("d-none");
    bar.classList.add("progress-bar-striped", "progress-bar-animated");
    status.textContent = box.dataset.textRunning;
    while (!stopRequested) {
      let data;
      try {
        const response = await fetch(`${box.dataset.url}?after=${after}`, {
          method: "POST",
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": token ? token.content : "" },
        });
        if (!response.ok) throw new Error(String(response.status));
        data = await response.json();
      } catch (error) {
        bar.classList.remove("progress-bar-animated");
        finish(box.dataset.textFailed, false);
        return;
      }
      show(data);
      if (data.done) {
        remember(true);
        finish(box.dataset.textDone, true);
        return;
      }
      after = data.next_after;
      remember(false);
    }
    bar.classList.remove("progress-bar-animated");
    finish(box.dataset.textPaused, false);
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  pause.addEventListener("click", () => {
    stopRequested = true;
    pause.disabled = true;
    window.setTimeout(() => { pause.disabled = false; }, 500);
  });
  if (box.dataset.autostart === "1" && start) run();
});
