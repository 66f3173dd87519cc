// Draws a case's own BPMN diagram with bpmn-js and marks the steps done and the current ones.
// Everything comes from data- attributes on the container (the CSP forbids inline scripts).
(function () {
  "use strict";

  function ids(value) {
    return (value || "").split(/\s+/).filter(Boolean);
  }

  function showError(container, message) {
    container.replaceChildren();
    const p = document.createElement("p");
    p.className = "text-danger p-3 mb-0";
    p.textContent = message;
    container.appendChild(p);
  }

  function mark(viewer, done, active) {
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    const marked = { done: 0, active: 0 };
    const add = (id, cls) => {
      if (registry.get(id)) {
        canvas.addMarker(id, cls);
        marked[cls] += 1;
      }
    };
    done.forEach((id) => add(id, "done"));
    active.forEach((id) => add(id, "active"));
    return marked;
  }

  // show the first current step at a readable scale (a whole diagram on a phone is too small to read)
  function focusCurrent(canvas, registry, active) {
    const elements = active.map((id) => registry.get(id)).filter(Boolean);
    // a waiting deadline timer sits on the task's border: the task is the better centre
    const element = elements.find((e) => e.type !== "bpmn:BoundaryEvent") || elements[0];
    if (!element) return false;
    const outer = canvas.viewbox().outer;
    const scale = 0.9;
    const width = outer.width / scale;
    const height = outer.height / scale;
    canvas.viewbox({
      x: element.x + element.width / 2 - width / 2,
      y: element.y + element.height / 2 - height / 2,
      width: width,
      height: height,
    });
    return true;
  }

  function fitsReadably(container) {
    return container.clientWidth >= 768;
  }

  async function draw(container) {
    if (typeof window.BpmnJS !== "function") {
      showError(container, container.dataset.error);
      return;
    }
    const viewer = new window.BpmnJS({ container: container });
    try {
      const response = await fetch(container.dataset.xmlUrl, { credentials: "same-origin" });
      if (!response.ok) throw new Error("diagram XML answered " + response.status);
      await viewer.importXML(await response.text());
    } catch (err) {
      console.error(err);
      viewer.destroy();
      showError(container, container.dataset.error);
      return;
    }
    container.querySelectorAll(".diagram-loading").forEach((el) => el.remove());
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    const active = ids(container.dataset.active);
    const overview = () => canvas.zoom("fit-viewport", "auto");
    if (fitsReadably(container) || !focusCurrent(canvas, registry, active)) overview();
    const marked = mark(viewer, ids(container.dataset.done), active);
    container.dataset.rendered = "true"; // lets tests and screenshots wait for the drawing
    container.dataset.markedDone = String(marked.done);
    container.dataset.markedActive = String(marked.active);

    const zoomBy = (factor) => canvas.zoom(canvas.zoom() * factor);
    document.querySelectorAll("[data-diagram-zoom]").forEach((button) => {
      button.addEventListener("click", () => {
        const how = button.dataset.diagramZoom;
        if (how === "in") zoomBy(1.25);
        else if (how === "out") zoomBy(0.8);
        else if (how === "current") focusCurrent(canvas, registry, active) || overview();
        else overview();
      });
    });
    // keep the whole diagram in view when the frame changes size (phone rotation, sidebar)
    let resizeTimer;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        canvas.resized();
        if (fitsReadably(container) || !focusCurrent(canvas, registry, active)) overview();
      }, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".diagram[data-xml-url]").forEach(draw);
  });
})();
