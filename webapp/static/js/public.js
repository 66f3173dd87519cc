// The citizens' pages: "use my location", copy the tracking link, early checks of chosen files.
// Everything also works without JavaScript; this only saves typing. Texts come from data-* attributes
// so that they are translated with the page.
document.addEventListener("DOMContentLoaded", () => {
  const locate = document.getElementById("use-location");
  const latitude = document.getElementById("latitude");
  const longitude = document.getElementById("longitude");
  const locationStatus = document.getElementById("location-status");
  if (locate && latitude && longitude && "geolocation" in navigator) {
    locate.classList.remove("d-none");
    locate.addEventListener("click", () => {
      locate.disabled = true;
      if (locationStatus) locationStatus.textContent = locate.dataset.busy;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          if (locationStatus) locationStatus.textContent = locate.dataset.done;
          locate.disabled = false;
        },
        () => {
          if (locationStatus) locationStatus.textContent = locate.dataset.failed;
          locate.disabled = false;
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
      );
    });
  }

  document.querySelectorAll("[data-copy]").forEach((button) => {
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    const label = button.querySelector("span");
    const original = label ? label.textContent : "";
    button.addEventListener("click", async () => {
      source.select();
      try {
        await navigator.clipboard.writeText(source.value);
      } catch (error) {
        document.execCommand("copy"); // older phones, or a page not served over HTTPS
      }
      if (label) {
        label.textContent = button.dataset.copied;
        setTimeout(() => { label.textContent = original; }, 2500);
      }
    });
  });

  // the server checks the files again by their content; this only warns before a long upload
  const files = document.getElementById("attachments");
  const filesCheck = document.getElementById("attachments-check");
  if (files && filesCheck) {
    files.addEventListener("change", () => {
      const problems = [];
      if (files.files.length > Number(files.dataset.maxFiles)) problems.push(files.dataset.tooMany);
      Array.from(files.files).forEach((file) => {
        if (file.size > Number(files.dataset.maxBytes)) problems.push(`${files.dataset.tooLarge} ${file.name}`);
      });
      filesCheck.textContent = problems.join(" ");
    });
    // do not upload megabytes only to be told they are too many or too large
    files.form.addEventListener("submit", (event) => {
      if (filesCheck.textContent) {
        event.preventDefault();
        files.focus();
      }
    });
  }
});
