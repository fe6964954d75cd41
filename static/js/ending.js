// How a session ends on the demo page: what is known shows at once, then the report in place
// (in this tab, where the live panel was, opening with the interview's verdict); after a
// failure, or while the server restarts, the report as soon as the server has it.
import { $ } from "./dom.js";
import { clock } from "./format.js";
import { t } from "./i18n.js";
import { endInterview } from "./interview.js";

const ui = {
  section: $("ending"),
  facts: $("ending-facts"),
  wait: $("ending-wait"),
  frame: /** @type {HTMLIFrameElement} */ ($("report-frame")),
  own: $("report"),
  link: /** @type {HTMLAnchorElement} */ ($("report-link")),
  progress: /** @type {HTMLAnchorElement} */ ($("progress-link")),
  title: $("ending-title"),
  readouts: $("readouts"),
  preview: $("preview"),
  cue: $("cue"),
};

/**
 * What the page knows the moment a session ends, before the server's report.
 * @typedef {{ seconds: number, tips: number, fillers: number | null, answers: number | null }} Known
 */


/** @param {number} n @param {string} one @param {string} many */

/** The live panel and the camera make way for what ends (their readouts are stale). */
function makeWay() {
  ui.readouts.hidden = true;
  ui.preview.hidden = true;
  ui.cue.hidden = true;
}

/** Back to nothing shown (a new session starts). */
export function clearEnding() {
  ui.readouts.hidden = false;
  ui.preview.hidden = false;
  ui.cue.hidden = false;
  ui.section.hidden = true;
  ui.facts.replaceChildren();
  ui.own.hidden = true;
  ui.frame.hidden = true;
  ui.frame.removeAttribute("src");
}

/**
 * At once, on End: how long, what the coach said, the fillers heard.
 * @param {Known} known
 */
export function showKnown(known) {
  const lines = [t("You practised for {time} (minutes:seconds).", { time: clock(known.seconds) })];
  if (known.answers != null) {
    lines.push(known.answers === 1 ? t("You answered 1 question.") : t("You answered {n} questions.", { n: known.answers }));
  }
  lines.push(known.tips === 1 ? t("The coach gave you 1 tip; your report lists it with its time.")
    : known.tips ? t("The coach gave you {n} tips; your report lists each with its time.", { n: known.tips })
      : t("The coach had no tip for you."));
  if (known.fillers != null) {
    lines.push(known.fillers === 1 ? t("You said \"um\" or \"uh\" once.")
      : known.fillers ? t("You said \"um\" or \"uh\" {n} times.", { n: known.fillers }) : t("You never said \"um\" or \"uh\"."));
  }
  ui.facts.replaceChildren(...lines.map((text) => {
    const item = document.createElement("li");
    item.textContent = text;
    return item;
  }));
  ui.wait.textContent = t("Your full report is being prepared: it waits for your last words to be written down, up to half a minute.");
  ui.title.textContent = t("Your session has ended");
  makeWay();
  ui.section.hidden = false;
  ui.section.focus();
}

/**
 * The report, in place: a frame as tall as the report page, which opens with the interview's
 * verdict. A server that is away (restarting) is asked again until it answers.
 * @param {string} reportUrl the report's API URL
 * @param {string} [heading] what the report is of, when not the session that just ended
 */
export async function showReportInPlace(reportUrl, heading) {
  if (heading) {
    ui.title.textContent = heading;
    ui.facts.replaceChildren();
  }
  endInterview();
  makeWay();
  localStorage.setItem("lens-practice-reports", "yes");
  ui.progress.hidden = false;
  ui.section.hidden = false;
  ui.link.href = `${reportUrl}?format=html`;
  ui.own.hidden = false;
  const page = `${reportUrl}?format=html&embed=1`;
  // A server that stops between the check and the frame's load leaves the browser's error page
  // in the frame: then the frame is hidden again, and the report asked for once more.
  for (let tries = 0; tries < 3; tries++) {
    if (!(await reachable(page))) break;
    ui.wait.textContent = t("Your report is ready, below.");
    const loaded = new Promise((resolve) => ui.frame.addEventListener("load", resolve, { once: true }));
    ui.frame.src = page;
    ui.frame.hidden = false;
    await loaded;
    if (framed()) {
      fitFrame();
      return;
    }
    ui.frame.hidden = true;
  }
  ui.wait.textContent = t("The server has not come back yet: your report is kept. Open it later through \"Your progress\".");
}

/** Whether the frame holds the report (not the browser's page for a server that is down). */
function framed() {
  try {
    return Boolean(ui.frame.contentDocument?.querySelector("main, h1"));
  } catch {
    return false; // the browser's own error page, of another origin
  }
}

/**
 * Whether ``url`` answers, asked every 2 s for up to two minutes while the server is away (a
 * frame pointed at a server that is down shows the browser's error page, and stays so).
 * @param {string} url
 */
async function reachable(url) {
  for (let i = 0; i < 60; i++) {
    try {
      const response = await fetch(url, { method: "HEAD" });
      if (response.ok) return true;
      if (response.status === 404) return false;
    } catch { /* the server is away */ }
    ui.wait.textContent = t("Waiting for the server to come back with your report…");
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  return false;
}

/** The frame as tall as the report, and kept so as the report or the window changes (its
 * charts and review may grow; a wider window makes it shorter). */
function fitFrame() {
  const doc = ui.frame.contentDocument;
  if (!doc?.body) return;
  const fit = () => {
    const margin = parseFloat(getComputedStyle(doc.body).marginBottom) || 0;
    ui.frame.style.height = `${Math.ceil(doc.body.getBoundingClientRect().bottom + margin)}px`;
  };
  new ResizeObserver(fit).observe(doc.body);
  fit();
}

/**
 * After a failure: ask for the session's report every 3 s for up to two minutes (a lost
 * worker's sessions are recovered by another within ``LENS_WORKER_TIMEOUT``), and show it.
 * @param {string} sessionId
 * @param {HTMLElement} status where the page says what happened
 * @param {() => boolean} current whether this session is still the page's latest
 */
export async function watchForReport(sessionId, status, current) {
  const url = `/api/sessions/${sessionId}/report`;
  const said = status.textContent ?? "";
  status.textContent = said + " " + t("Your session so far is kept: its report will appear here.");
  for (let i = 0; i < 40; i++) {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    if (!current()) return; // a new session started
    let record;
    try {
      // The record first (it answers while the session ends): the report once it has ended.
      const response = await fetch(`/api/sessions/${sessionId}`);
      if (response.status === 404) return;
      if (!response.ok) continue;
      record = await response.json();
    } catch {
      continue; // the server is still away
    }
    if (record.state !== "ended") continue;
    status.textContent = said + " " + t("Your report is ready, below.");
    await showReportInPlace(url);
    return;
  }
  status.textContent = said + " " + t("The server has not finished this session's report yet: start again, or come back later through \"Your progress\".");
}
