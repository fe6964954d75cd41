// A recording the person already has, analysed by the server like a live session: the file
// is sent (the browser's own count of bytes), then the server says how far its analysis has
// come, one JSON line at a time (POST /api/analyze, Accept: application/x-ndjson), and the
// report shows in place as after a live session.
import { $ } from "./dom.js";
import { clock } from "./format.js";
import { t } from "./i18n.js";
import { showReportInPlace } from "./ending.js";

const ui = {
  form: $("upload-form", HTMLFormElement),
  file: $("upload-file", HTMLInputElement),
  start: $("upload-start", HTMLButtonElement),
  limits: $("upload-limits", HTMLElement),
  bar: $("upload-progress", HTMLProgressElement),
  status: $("upload-status", HTMLElement),
  connect: $("connect", HTMLButtonElement),
};

const TRY_ANOTHER = t("Try another file: a video or audio recording such as MP4, WebM, MOV, M4A or WAV.");
// What a person is told when an upload fails, by error code; other codes show the server's words.
const FAILURE_TEXT = {
  invalid_media: (/** @type {string} */ message) => t("This file could not be analysed: {reason}.", { reason: message }) + " " + TRY_ANOTHER,
  payload_too_large: (/** @type {string} */ message) => t("The file is too large ({reason}). Cut it shorter, or export it at a lower quality.", { reason: message }),
  service_unavailable: () => t("The server is analysing another recording. Try again in a minute."),
};


/**
 * @param {string} text
 * @param {"working" | "failed" | "done"} state
 */
function say(text, state) {
  ui.status.textContent = text;
  ui.status.dataset.state = state;
}

/** @param {number | null} share 0..1, or null while nothing is known */
function fill(share) {
  ui.bar.hidden = false;
  if (share == null) ui.bar.removeAttribute("value");
  else ui.bar.value = Math.min(1, Math.max(0, share));
}

/**
 * One line of the server's account.
 * @param {any} line
 */
function onLine(line) {
  if (line.type === "accepted") {
    say(t("Received. The analysis is starting…"), "working");
    fill(0);
  } else if (line.type === "progress") {
    const done = line.total ? t("{done} of {total}", { done: clock(line.done), total: clock(line.total) }) : clock(line.done);
    say(line.stage === "transcribing"
      ? t("Writing down what you said: {done} of speech (minutes:seconds)", { done })
      : t("Watching and listening: {done} (minutes:seconds)", { done }), "working");
    // Two stages, in turn: the first fills the bar to 80 %, the words the rest.
    const share = line.total ? line.done / line.total : null;
    fill(share == null ? null : line.stage === "transcribing" ? 0.8 + 0.2 * share : 0.8 * share);
  } else if (line.type === "report") {
    fill(1);
    say(t("Done: your {time} recording is analysed. Your report is below.", { time: clock(line.report.duration) }), "done");
    showReportInPlace(line.report_url, t("Your recording"));
  } else if (line.type === "error") {
    fail(line.error);
  }
}

/** @param {{ code?: string, message?: string } | undefined} error */
function fail(error) {
  const words = FAILURE_TEXT[error?.code ?? ""];
  say(words ? words(error?.message ?? "") : t("The server could not analyse it: {reason}.", { reason: error?.message ?? t("no reason given") }) + " " + TRY_ANOTHER, "failed");
  ui.bar.hidden = true;
}

function upload(event) {
  event.preventDefault();
  const file = ui.file.files?.[0];
  if (!file) return;
  const form = new FormData();
  const practiceId = localStorage.getItem("lens-practice-id");
  if (practiceId) form.append("subject", practiceId); // before the file: the server reads it first
  form.append("file", file);
  const request = new XMLHttpRequest();
  request.open("POST", "/api/analyze");
  request.setRequestHeader("Accept", "application/x-ndjson");
  ui.start.disabled = true;
  ui.connect.disabled = true;
  fill(0);
  say(t("Sending your file…"), "working");
  request.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable) return;
    say(t("Sending your file: {pct} %", { pct: Math.round((100 * e.loaded) / e.total) }), "working");
  });
  let read = 0; // how much of the answer has been taken as lines
  const take = () => {
    if (request.status !== 200) return;
    const text = request.responseText;
    const end = text.lastIndexOf("\n") + 1;
    for (const raw of text.slice(read, end).split("\n")) {
      if (raw.trim()) onLine(JSON.parse(raw));
    }
    read = Math.max(read, end);
  };
  request.addEventListener("progress", take);
  request.addEventListener("load", () => {
    take();
    if (request.status !== 200) {
      let body;
      try { body = JSON.parse(request.responseText); } catch { body = null; }
      fail(body?.error ?? { message: t("the server answered {status}", { status: request.status }) });
    } else if (ui.status.dataset.state === "working") {
      fail({ message: t("the server stopped before the report") });
    }
  });
  request.addEventListener("error", () => {
    say(t("The connection broke while your file was sent or analysed. Check your connection, then press Analyse it again."), "failed");
    ui.bar.hidden = true;
  });
  request.addEventListener("loadend", () => {
    ui.start.disabled = false;
    ui.connect.disabled = false;
  });
  request.send(form);
}

ui.form.addEventListener("submit", upload);
fetch("/health").then((r) => r.json()).then((health) => {
  const limits = health.uploads;
  if (!limits) return;
  ui.limits.textContent = t("Up to {mb} MB and {minutes} minutes.", { mb: Math.round(limits.max_bytes / 1e6), minutes: Math.round(limits.max_seconds / 60) })
    + " " + ui.limits.textContent;
}).catch(() => {});
