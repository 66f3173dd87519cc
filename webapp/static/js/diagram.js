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

  // Labels are 11 px at scale 1: below 0.6 they shrink under about 7 px and cannot be read, so
  // the default view fits the diagram to the frame's width but never goes below MIN_SCALE (nor
  // above 1), and centres the current step; zooming out by hand may go further for an overview.
  const MIN_SCALE = 0.6;
  const MAX_SCALE = 1;
  const LOWEST = 0.2;
  const HIGHEST = 3;
  const MARGIN = 20;

  function currentElement(registry, active) {
    const elements = active.map((id) => registry.get(id)).filter(Boolean);
    // someone's task first: a waiting deadline timer sits on the task's border, and a long-running
    // clock (the 60-day completion timer) waits elsewhere in the diagram while the case moves on
    const isWork = (e) => /Task$|^bpmn:(CallActivity|SubProcess)$/.test(e.type);
    return elements.find(isWork) || elements.find((e) => e.type !== "bpmn:BoundaryEvent") || elements[0] || null;
  }

  function clamp(value, low, high) {
    return Math.min(Math.max(value, low), high);
  }

  // fit to the width at a readable scale, centred on the current step (or the start of the process)
  function readableView(canvas, registry, active) {
    const box = canvas.viewbox();
    const outer = box.outer;
    const inner = box.inner;
    if (!outer.width || !inner.width) return;
    const fitWidth = outer.width / (inner.width + 2 * MARGIN);
    const scale = clamp(fitWidth, MIN_SCALE, MAX_SCALE);
    const width = outer.width / scale;
    const height = outer.height / scale;
    const element = currentElement(registry, active);
    const centre = element
      ? { x: element.x + element.width / 2, y: element.y + element.height / 2 }
      : { x: inner.x + width / 2 - MARGIN, y: inner.y + inner.height / 2 };
    // keep the frame over the drawing: no empty band beside it when the whole width fits
    const left = inner.x - MARGIN;
    const right = inner.x + inner.width + MARGIN - width;
    const x = right <= left ? left - (left - right) / 2 : clamp(centre.x - width / 2, left, right);
    canvas.viewbox({ x: x, y: centre.y - height / 2, width: width, height: height });
  }

  function showCurrent(canvas, registry, active) {
    const element = currentElement(registry, active);
    if (!element) return false;
    const box = canvas.viewbox();
    const scale = Math.max(box.scale, MIN_SCALE);
    const width = box.outer.width / scale;
    const height = box.outer.height / scale;
    canvas.viewbox({
      x: element.x + element.width / 2 - width / 2,
      y: element.y + element.height / 2 - height / 2,
      width: width,
      height: height,
    });
    return true;
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
    // the scale in use, for people's tools and the tests (read from the drawing, not assumed)
    const report = () => { container.dataset.scale = canvas.zoom().toFixed(3); };
    const readable = () => { readableView(canvas, registry, active); report(); };
    readable();
    const marked = mark(viewer, ids(container.dataset.done), active);
    container.dataset.rendered = "true"; // lets tests and screenshots wait for the drawing
    container.dataset.markedDone = String(marked.done);
    container.dataset.markedActive = String(marked.active);

    const zoomBy = (factor) => {
      const outer = canvas.viewbox().outer;
      canvas.zoom(clamp(canvas.zoom() * factor, LOWEST, HIGHEST), { x: outer.width / 2, y: outer.height / 2 });
      report();
    };
    const actions = {
      in: () => zoomBy(1.25),
      out: () => zoomBy(0.8),
      current: () => { if (!showCurrent(canvas, registry, active)) readable(); report(); },
      fit: readable,
    };
    // <button>s: Enter and Space work as for any button
    document.querySelectorAll("[data-diagram-zoom]").forEach((button) => {
      button.addEventListener("click", () => (actions[button.dataset.diagramZoom] || readable)());
    });
    // keep the view readable when the frame changes size (phone rotation, sidebar)
    let resizeTimer;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        canvas.resized();
        readable();
      }, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".diagram[data-xml-url]").forEach(draw);
  });
})();
