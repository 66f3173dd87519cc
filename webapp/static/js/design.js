// The designer's workspace: upload progress, the check's problems drawn on the uploaded diagram,
// and the cases waiting at each step of a version. Everything comes from data- attributes (the
// CSP forbids inline scripts); the pages work without this file, only with less to see.
(function () {
  "use strict";

  function parseJSON(text, fallback) {
    try {
      return JSON.parse(text || "");
    } catch (err) {
      return fallback;
    }
  }

  function showError(container, message) {
    container.replaceChildren();
    const p = document.createElement("p");
    p.className = "text-danger p-3 mb-0";
    p.setAttribute("data-testid", "diagram-error");
    p.textContent = message;
    container.appendChild(p);
  }

  function wireZoom(container, viewerOf) {
    const scope = container.closest(".card") || document;
    scope.querySelectorAll("[data-diagram-zoom]").forEach((button) => {
      button.addEventListener("click", () => {
        const viewer = viewerOf();
        if (!viewer) return;
        const canvas = viewer.get("canvas");
        const how = button.dataset.diagramZoom;
        if (how === "in") canvas.zoom(canvas.zoom() * 1.25);
        else if (how === "out") canvas.zoom(canvas.zoom() * 0.8);
        else canvas.zoom("fit-viewport", "auto");
      });
    });
    let timer;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const viewer = viewerOf();
        if (viewer) viewer.get("canvas").resized();
      }, 150);
    });
  }

  // centre the canvas on an element, at a readable scale
  function centre(canvas, element) {
    const outer = canvas.viewbox().outer;
    const scale = Math.max(Math.min(canvas.zoom(), 1.2), 0.9);
    const width = outer.width / scale;
    const height = outer.height / scale;
    const box = element.waypoints
      ? element.waypoints.reduce((b, p) => ({
          minX: Math.min(b.minX, p.x), minY: Math.min(b.minY, p.y), maxX: Math.max(b.maxX, p.x), maxY: Math.max(b.maxY, p.y),
        }), { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity })
      : { minX: element.x, minY: element.y, maxX: element.x + element.width, maxY: element.y + element.height };
    canvas.viewbox({
      x: (box.minX + box.maxX) / 2 - width / 2,
      y: (box.minY + box.maxY) / 2 - height / 2,
      width: width,
      height: height,
    });
  }

  async function importInto(container, url) {
    if (typeof window.BpmnJS !== "function") throw new Error("bpmn-js is missing");
    container.replaceChildren();
    const viewer = new window.BpmnJS({ container: container });
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error("diagram XML answered " + response.status);
      await viewer.importXML(await response.text());
    } catch (err) {
      viewer.destroy();
      throw err;
    }
    return viewer;
  }

  // ---- a version: how many cases wait at each step -------------------------------------------

  async function drawVersion(container) {
    const counts = parseJSON(container.dataset.counts, {});
    let viewer = null;
    wireZoom(container, () => viewer);
    try {
      viewer = await importInto(container, container.dataset.xmlUrl);
    } catch (err) {
      console.error(err);
      showError(container, container.dataset.error);
      return;
    }
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    const overlays = viewer.get("overlays");
    canvas.zoom("fit-viewport", "auto");
    let shown = 0;
    Object.keys(counts).forEach((id) => {
      const element = registry.get(id);
      if (!element) return;
      const n = counts[id];
      const label = n === 1 ? container.dataset.labelOne : container.dataset.labelMany.replace("{n}", n);
      const badge = document.createElement("span");
      badge.className = "diagram-badge diagram-badge-count";
      badge.dataset.count = String(n);
      badge.title = label;
      badge.setAttribute("aria-label", label);
      badge.textContent = String(n);
      // badges keep a readable size when the whole diagram is shown small
      overlays.add(id, "waiting", { position: { top: -12, right: 12 }, html: badge, scale: { min: 1 } });
      canvas.addMarker(id, "has-waiting");
      shown += 1;
    });
    container.dataset.overlays = String(shown);
    // a whole diagram on a phone is too small to read: show where most cases wait instead
    if (container.clientWidth < 768) {
      const busiest = Object.keys(counts).filter((id) => registry.get(id)).sort((a, b) => counts[b] - counts[a])[0];
      if (busiest) centre(canvas, registry.get(busiest));
    }
    container.dataset.rendered = "true"; // lets tests and screenshots wait for the drawing
  }

  // ---- an upload: the check's problems on the diagram ----------------------------------------

  function setupCheck(container) {
    const problems = parseJSON(container.dataset.problems, []);
    const fileButtons = Array.from(document.querySelectorAll("[data-diagram-file]"));
    const files = fileButtons.length ? fileButtons.map((b) => b.dataset.diagramFile) : [container.dataset.file];
    const live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    container.after(live);
    let viewer = null;
    let current = null;
    let loading = null;
    let anchors = new Map();
    wireZoom(container, () => viewer);

    function rowsFor(file) {
      return Array.from(document.querySelectorAll("[data-show-element]")).filter((b) => b.dataset.file === file);
    }

    // the definitions' model element with this id (also those bpmn-js could not draw)
    function modelElement(id) {
      const seen = new Set();
      const walk = (node) => {
        if (!node || typeof node !== "object" || seen.has(node)) return null;
        seen.add(node);
        if (node.id === id && node.$type) return node;
        for (const key of ["rootElements", "flowElements", "messageFlows", "participants", "laneSets", "lanes"]) {
          for (const child of node[key] || []) {
            const found = walk(child);
            if (found) return found;
          }
        }
        return null;
      };
      return walk(viewer.getDefinitions());
    }

    // where a problem is drawn: its element, or for a flow bpmn-js could not draw, where it starts
    function anchor(id) {
      const registry = viewer.get("elementRegistry");
      if (registry.get(id)) return { element: registry.get(id), atSource: false };
      const model = modelElement(id);
      const source = model && model.sourceRef && registry.get(model.sourceRef.id);
      return source ? { element: source, atSource: true } : null;
    }

    function decorate() {
      const canvas = viewer.get("canvas");
      const overlays = viewer.get("overlays");
      const byAnchor = new Map();
      anchors = new Map();
      problems.filter((p) => p.file === current && p.element_id).forEach((p) => {
        const found = anchor(p.element_id);
        anchors.set(p.element_id, found);
        if (!found) return;
        const key = found.element.id;
        if (!byAnchor.has(key)) byAnchor.set(key, []);
        byAnchor.get(key).push(Object.assign({ atSource: found.atSource }, p));
      });
      let shown = 0;
      byAnchor.forEach((list, id) => {
        const error = list.some((p) => p.severity !== "warning");
        const text = (p) => (p.atSource ? p.element_id + ": " : "") + p.message;
        const badge = document.createElement("span");
        badge.className = "diagram-badge " + (error ? "diagram-badge-error" : "diagram-badge-warning");
        badge.dataset.problemElement = id;
        badge.dataset.problems = list.map((p) => p.element_id).join(" ");
        badge.title = list.map(text).join("\n");
        badge.textContent = (error ? "✖ " : "! ") + text(list[0]) + (list.length > 1 ? " (+" + (list.length - 1) + ")" : "");
        overlays.add(id, "problem", { position: { top: -3, left: 0 }, html: badge, scale: { min: 1 } });
        canvas.addMarker(id, error ? "has-error" : "has-warning");
        shown += 1;
      });
      rowsFor(current).forEach((button) => {
        const found = anchors.get(button.dataset.showElement);
        const cell = button.parentElement;
        cell.querySelector(".not-drawn").classList.toggle("d-none", Boolean(found));
        cell.querySelector(".at-source").classList.toggle("d-none", !(found && found.atSource));
      });
      container.dataset.overlays = String(shown);
    }

    async function load(file) {
      if (file === current && viewer) return true;
      if (loading) await loading.catch(() => null);
      fileButtons.forEach((b) => {
        const on = b.dataset.diagramFile === file;
        b.classList.toggle("btn-secondary", on);
        b.classList.toggle("btn-outline-secondary", !on);
        b.setAttribute("aria-pressed", on ? "true" : "false");
      });
      if (viewer) {
        viewer.destroy();
        viewer = null;
      }
      container.dataset.rendered = "false";
      current = file;
      container.dataset.file = file;
      loading = importInto(container, container.dataset.xmlBase.replace("__NAME__", encodeURIComponent(file)));
      try {
        viewer = await loading;
      } catch (err) {
        console.error(err);
        showError(container, container.dataset.error);
        container.dataset.rendered = "failed";
        return false;
      } finally {
        loading = null;
      }
      viewer.get("canvas").zoom("fit-viewport", "auto");
      decorate();
      if (container.clientWidth < 768) { // on a phone: the first problem at a readable scale
        const first = Array.from(anchors.values()).find(Boolean);
        if (first) centre(viewer.get("canvas"), first.element);
      }
      container.dataset.rendered = "true";
      return true;
    }

    let focused = null;
    async function show(id, file, button) {
      if (files.includes(file) && !(await load(file))) return;
      if (!viewer) return;
      const found = anchors.get(id) || anchor(id);
      document.querySelectorAll(".problem-current").forEach((r) => r.classList.remove("problem-current"));
      const row = button && button.closest("[data-testid=problem]");
      if (row) row.classList.add("problem-current");
      if (!found) {
        live.textContent = button ? button.parentElement.querySelector(".not-drawn").textContent : "";
        return;
      }
      const element = found.element;
      const canvas = viewer.get("canvas");
      if (focused && viewer.get("elementRegistry").get(focused)) canvas.removeMarker(focused, "focused-element");
      canvas.addMarker(element.id, "focused-element");
      focused = element.id;
      container.querySelectorAll(".diagram-badge.focused").forEach((b) => b.classList.remove("focused"));
      const badge = container.querySelector('.diagram-badge[data-problem-element="' + CSS.escape(element.id) + '"]');
      if (badge) badge.classList.add("focused");
      centre(canvas, element);
      container.dataset.centred = element.id;
      container.scrollIntoView({ block: "nearest", behavior: "smooth" });
      live.textContent = (button && button.getAttribute("aria-label")) || id;
    }

    document.querySelectorAll("[data-show-element]").forEach((button) => {
      button.addEventListener("click", () => show(button.dataset.showElement, button.dataset.file, button));
    });
    fileButtons.forEach((button) => button.addEventListener("click", () => load(button.dataset.diagramFile)));
    // the first file with an error is the one to look at first
    const first = problems.find((p) => p.severity !== "warning" && files.includes(p.file));
    load(first ? first.file : files[0]);
  }

  // ---- the upload form: progress while uploading and checking --------------------------------

  function setupUpload(form) {
    if (!window.FormData || !window.XMLHttpRequest) return;
    const button = form.querySelector("#upload-submit");
    const progress = form.querySelector("#upload-progress");
    const bar = form.querySelector("#upload-bar");
    const barFrame = bar.parentElement;
    const status = form.querySelector("#upload-status");
    const alertBox = document.getElementById("upload-errors");
    const list = document.getElementById("upload-error-list");
    const input = form.querySelector("input[type=file]");
    let ticker = null;

    function setBar(percent, striped) {
      bar.style.width = percent + "%";
      barFrame.setAttribute("aria-valuenow", String(Math.round(percent)));
      bar.classList.toggle("progress-bar-animated", striped);
    }

    function done() {
      clearInterval(ticker);
      button.disabled = false;
      input.disabled = false;
      progress.classList.add("d-none");
    }

    function fail(messages) {
      done();
      list.replaceChildren(...messages.map((m) => {
        const li = document.createElement("li");
        li.textContent = m;
        return li;
      }));
      alertBox.classList.remove("d-none");
      input.classList.add("is-invalid");
      input.setAttribute("aria-invalid", "true");
      alertBox.focus();
    }

    // coming back to this page from the check page (browser back): the form, not a stale progress bar
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) done();
    });

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      const token = document.querySelector('meta[name="csrf-token"]');
      if (token) request.setRequestHeader("X-CSRFToken", token.content);
      alertBox.classList.add("d-none");
      progress.classList.remove("d-none");
      button.disabled = true;
      setBar(0, true);
      status.textContent = form.dataset.msgUploading.replace("{p}", "0%");
      request.upload.addEventListener("progress", (e) => {
        if (!e.lengthComputable) return;
        const percent = (100 * e.loaded) / e.total;
        setBar(percent, true);
        status.textContent = form.dataset.msgUploading.replace("{p}", Math.round(percent) + "%");
      });
      request.upload.addEventListener("load", () => {
        const started = Date.now();
        setBar(100, true);
        const tick = () => {
          status.textContent = form.dataset.msgChecking.replace("{s}", String(Math.round((Date.now() - started) / 1000)));
        };
        tick();
        ticker = setInterval(tick, 1000);
      });
      request.addEventListener("load", () => {
        const body = parseJSON(request.responseText, null);
        if (request.status === 200 && body && body.url) {
          window.location.assign(body.url); // the progress stays until the check page opens
          return;
        }
        if (request.status === 413) return fail([form.dataset.msgTooLarge]);
        if (body && body.errors) return fail(body.errors);
        fail([form.dataset.msgFailed]);
      });
      request.addEventListener("error", () => fail([form.dataset.msgFailed]));
      request.send(data);
      input.disabled = true; // after the data was taken: a disabled input would send nothing
    });
  }

  // ---- forms that take a moment (deploy, check again) ----------------------------------------

  function setupBusy(form) {
    form.addEventListener("submit", () => {
      const status = form.closest(".card-body") && form.closest(".card-body").querySelector("[data-busy-status]");
      if (status) {
        status.replaceChildren();
        const spinner = document.createElement("span");
        spinner.className = "spinner-border spinner-border-sm me-1";
        spinner.setAttribute("aria-hidden", "true");
        status.append(spinner, document.createTextNode(form.dataset.busy));
      }
      // after this event the form is sent; disabling now keeps a second click from sending it again
      setTimeout(() => form.querySelectorAll("button").forEach((b) => { b.disabled = true; }), 0);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("#version-diagram[data-xml-url]").forEach(drawVersion);
    document.querySelectorAll("#upload-diagram[data-xml-base]").forEach(setupCheck);
    document.querySelectorAll("#upload-form").forEach(setupUpload);
    document.querySelectorAll("form[data-busy]").forEach(setupBusy);
  });
})();
