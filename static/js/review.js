// The report page's review: the recording in step with the timelines (signaling/pages/review.py).
import { clock as minutes } from "./format.js";
import { t } from "./i18n.js";

{
  const video = /** @type {HTMLVideoElement} */ (document.getElementById("review"));
  const token = new URLSearchParams(location.search).get("token");
  video.src = video.dataset.src + (token ? `?token=${encodeURIComponent(token)}` : "");
  const ns = "http://www.w3.org/2000/svg";
  /** @type {SVGSVGElement[]} */
  const svgs = [...document.querySelectorAll("svg.chart[data-span]")].filter(
    (el) => el instanceof SVGSVGElement,
  );
  const charts = svgs.map((svg) => {
    const keys = ["x0", "x1", "span", "top", "bottom"];
    const d = Object.fromEntries(keys.map((k) => [k, Number(svg.dataset[k] ?? 0)]));
    const line = document.createElementNS(ns, "line");
    line.setAttribute("class", "cursor");
    line.setAttribute("y1", String(d.top));
    line.setAttribute("y2", String(d.bottom));
    svg.appendChild(line);
    svg.addEventListener("click", (/** @type {MouseEvent} */ event) => {
      const point = svg.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      const matrix = svg.getScreenCTM();
      if (!matrix) return;
      const x = point.matrixTransform(matrix.inverse()).x;
      seek(((x - d.x0) / (d.x1 - d.x0)) * d.span);
    });
    return { d, line };
  });
  function place() {
    for (const { d, line } of charts) {
      const x = d.x0 + (d.x1 - d.x0) * Math.min(1, video.currentTime / d.span);
      line.setAttribute("x1", String(x));
      line.setAttribute("x2", String(x));
    }
    document.body.dataset.cursor = video.currentTime.toFixed(2);
  }
  function seek(t) {
    video.currentTime = Math.max(0, t);
    place();
  }
  function follow() {
    place();
    if (!video.paused) requestAnimationFrame(follow);
  }
  video.addEventListener("play", follow);
  video.addEventListener("seeked", place);
  video.addEventListener("loadedmetadata", place);
  /** @param {number} t */
  const clock = (t) => minutes(t, { floor: true });
  for (const el of document.querySelectorAll("[data-t]")) {
    if (!(el instanceof HTMLElement || el instanceof SVGElement)) continue;
    const t = Number(el.dataset.t ?? 0);
    el.addEventListener("click", () => seek(t));
    if (el instanceof HTMLButtonElement) continue;
    // A line of what was said, or a marked word: reachable by keyboard, announced with its time.
    el.tabIndex = 0;
    el.setAttribute("role", "button");
    // (A marked moment on a chart already says its time in its label.)
    const words = el.getAttribute("aria-label") ?? `${clock(t)}: ${el.textContent?.trim() ?? ""}`;
    el.setAttribute("aria-label", `${words}, play from here`);
    el.addEventListener("keydown", (event) => {
      if (!(event instanceof KeyboardEvent) || (event.key !== "Enter" && event.key !== " ")) return;
      event.preventDefault();
      event.stopPropagation();
      seek(t);
    });
  }
  // A chart: focus it, then the arrow keys move the recording 5 s back or on, said aloud.
  const said = document.createElement("p");
  said.className = "visually-hidden";
  said.setAttribute("aria-live", "polite");
  video.after(said);
  for (const svg of svgs) {
    svg.tabIndex = 0;
    svg.setAttribute("aria-label", t("{chart}: left and right arrows move the recording 5 seconds", { chart: svg.getAttribute("aria-label") ?? t("Chart") }));
    svg.addEventListener("keydown", (/** @type {KeyboardEvent} */ event) => {
      const step = { ArrowLeft: -5, ArrowRight: 5 }[event.key];
      if (step === undefined) return;
      event.preventDefault();
      seek(video.currentTime + step);
      said.textContent = t("Recording at {time}", { time: clock(video.currentTime) });
    });
  }
}
