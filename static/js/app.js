// The demo page: camera preview, start/end, connection state, the coach's cue, and how a
// session ends (the live readouts are drawn by readouts.js).
import { $ } from "./dom.js";
import { locale, t } from "./i18n.js";
import { LensClient } from "./lens-client.js";
import {
  blankLive, clearReadouts, fillersSaid, setSpokenLanguage, showResult, showRoundTrip, showSessionId,
} from "./readouts.js";
import { clearEnding, showKnown, showReportInPlace, watchForReport } from "./ending.js";
import {
  answersGiven, cameraWanted, endInterview, interviewGoing, interviewOptions, onInterviewMessage,
  playVoice, startInterview,
} from "./interview.js";

const ui = {
  preview: $("preview", HTMLVideoElement), connect: $("connect", HTMLButtonElement),
  disconnect: $("disconnect", HTMLButtonElement), status: $("status"),
  setupVerdict: $("setup-verdict"), checkSetup: $("check-setup", HTMLButtonElement),
  gazeStatus: $("gaze-status"), calibrate: $("calibrate", HTMLButtonElement),
  cue: $("cue"), recordBox: $("record-box"), record: $("record", HTMLInputElement),
  resume: $("resume"), resumeContinue: $("resume-continue", HTMLButtonElement),
  upload: $("upload"),
  resumeNew: $("resume-new", HTMLButtonElement),
};
// The interview this tab has going, kept for the tab (sessionStorage): after a reload the page
// offers to continue it (a new connection into the same session), or shows its report.
const LIVE_KEY = "lens-live-session";
// One cue at a time (the server sends at most one every 20 s): shown large for a while, then
// back to calm.
const CUE_SECONDS = 12;
const CUE_IDLE = t("Your coach speaks up here, one tip at a time.");
let cueTimer = null;

function showCue(text, severity, kind = "") {
  clearTimeout(cueTimer);
  ui.cue.textContent = text;
  ui.cue.dataset.severity = severity;
  ui.cue.dataset.kind = kind;
}

function showNudge(message) {
  tips += 1;
  showCue(message.text, message.severity, message.kind);
  cueTimer = setTimeout(() => showCue(t("All good"), "calm"), CUE_SECONDS * 1000);
}
let tips = 0; // the coach's cues this session
let readyAt = 0; // when the session started analysing (ms)
let transcribing = false;
let heardAt = 0; // when the server was last heard (ms)
// Results come several times a second: a silence of 3 s means the server is in trouble, and
// a frozen "All good" would be a lie. Said at once, while the connection decides.
const QUIET_MS = 3000;
setInterval(() => {
  if (client?.state !== "connected" || !readyAt || Date.now() - heardAt < QUIET_MS) return;
  const quiet = Math.round((Date.now() - heardAt) / 1000);
  showCue(t("Waiting for the server…"), "idle");
  blankLive();
  ui.status.dataset.state = "connecting";
  ui.status.textContent = t("Waiting for the server: it has not answered for {s} s. Your session so far is kept.", { s: quiet });
}, 1000);

// What a person is told when connecting fails, by error code; other codes show the server's
// own message.
const FAILURE_TEXT = {
  server_full: t("the server is busy with other interviews. Try again in a minute."),
  server_unreachable: t("cannot reach the Interview Lens server. Check your connection and retry."),
  ice_failed: t("the media connection was blocked (a firewall or VPN?). Try another network."),
  connect_timeout: t("the server did not answer in time. Retry in a moment."),
  server_silent: t("the server stopped answering."),
  channel_closed: t("the server ended the session."),
  connection_failed: t("the media connection to the server failed. Check your connection and retry."),
  offer_failed: t("this browser could not start the media connection. Reload the page and retry."),
  already_connected: t("a session is already running on this page."),
};

// What to do about a denied camera: the browser remembers the refusal until the person changes it.
const CAMERA_DENIED = t("camera or microphone access was denied. Click the camera icon (or the padlock) at the left of the address bar, allow the camera and microphone for this site, then press Start again.")
  + (location.protocol === "https:" || ["localhost", "127.0.0.1"].includes(location.hostname)
    ? "" : " " + t("Browsers only allow cameras on https:// pages or on localhost."));

const STATUS_TEXT = {
  idle: t("Not connected"),
  camera: t("Asking for camera and microphone…"),
  connecting: t("Connecting…"),
  connected: t("Connected: analysing"),
  closed: t("Session ended"),
  failed: t("Connection failed"),
};

let client = null;
// An opaque id for the person practising on this browser (never a name): their sessions are
// kept together, so that their progress can be shown. Stored in this browser only.
const PRACTICE_KEY = "lens-practice-id";
const practiceId = localStorage.getItem(PRACTICE_KEY) ?? `p-${crypto.randomUUID().replaceAll("-", "")}`;
localStorage.setItem(PRACTICE_KEY, practiceId);
const progressLink = $("progress-link", HTMLAnchorElement);
progressLink.href = `/api/subjects/${practiceId}/progress?format=html`;
progressLink.hidden = localStorage.getItem("lens-practice-reports") === null;
let attempt = 0; // counts sessions started from this page: a watch for an older one stops
let stream = null;

/**
 * @param {string} state
 * @param {string} [message]
 * @param {string} [title] what went wrong, when not the connection (the camera, say)
 */
function showStatus(state, message, title = STATUS_TEXT[state]) {
  ui.status.dataset.state = state;
  ui.status.textContent = message ? t("{title}: {message}", { title, message }) : title;
  const busy = state === "camera" || state === "connecting" || state === "connected";
  ui.connect.disabled = busy;
  ui.disconnect.disabled = !busy;
  ui.upload.hidden = busy; // a recording is analysed between sessions, not during one
}

/** The live panel back to empty, and the cue to ``cue``. */
function resetReadouts(cue = CUE_IDLE) {
  showCue(cue, "idle");
  clearReadouts();
}

function onMessage(message) {
  if (client && readyAt && Date.now() - heardAt >= QUIET_MS) {
    showCue("All good", "calm"); // heard again
    showStatus("connected");
  }
  heardAt = Date.now();
  // Once ended, the page shows the ending: late live messages leave the cleared readouts be.
  if (client === null && message.type !== "session.report") return;
  if (onInterviewMessage(message) || showResult(message)) return;
  switch (message.type) {
    case "session.ready":
      readyAt = Date.now();
      showSessionId(message.session_id);
      showCue(ui.preview.hidden ? t("Practising with your microphone only: eye contact, expression and framing are not measured.") : t("All good"), "calm");
      // Keyboard and screen-reader users land on the coach (an interview moves focus on to
      // its first question when it comes).
      if (document.activeElement === ui.connect || document.activeElement === document.body) ui.cue.focus();
      break;
    case "nudge":
      showNudge(message);
      break;
    case "pong":
      if (client?.rttMs != null) showRoundTrip(client.rttMs);
      break;
    case "session.draining": {
      const until = new Date(message.deadline * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      showStatus("connected", t("the server is restarting; this session can go on until {until}", { until }));
      break;
    }
    case "error":
      console.warn("server:", message.code, message.message);
      break;
  }
}

/**
 * The camera and microphone, or the microphone alone when the person chose so or the camera
 * is refused or missing (the figures that need a face then say "not measured").
 * @returns {Promise<{ media: MediaStream, cameraless: boolean } | null>}
 */
async function openMedia() {
  const wanted = LensClient.mediaConstraints();
  const voiceOnly = { audio: wanted.audio, video: false };
  try {
    if (!cameraWanted()) return { media: await navigator.mediaDevices.getUserMedia(voiceOnly), cameraless: true };
    return { media: await navigator.mediaDevices.getUserMedia(wanted), cameraless: false };
  } catch (err) {
    const { name } = /** @type {DOMException} */ (err);
    try {
      if (cameraWanted()) return { media: await navigator.mediaDevices.getUserMedia(voiceOnly), cameraless: true };
    } catch { /* no microphone either: said below */ }
    const denied = name === "NotAllowedError" || name === "SecurityError";
    showStatus("failed", denied ? CAMERA_DENIED : t("no camera or microphone was found ({name}). Plug one in, or close other apps using it, then press Start again.", { name }), t("No camera"));
    return null;
  }
}

/** @param {string | null} [resumeId] a live interview of this tab to continue */
async function start(resumeId = null) {
  attempt += 1;
  ui.resume.hidden = true;
  resetReadouts();
  clearEnding();
  tips = 0;
  readyAt = 0;
  showStatus("camera");
  const opened = await openMedia();
  if (opened === null) return;
  stream = opened.media;
  ui.preview.srcObject = stream;
  ui.preview.hidden = opened.cameraless;
  let sessionId = resumeId;
  const interview = resumeId ? { interview: {} } : interviewOptions();
  if (resumeId) {
    try {
      const record = await (await fetch(`/api/sessions/${resumeId}`)).json();
      transcribing = Boolean(record.transcript);
      setSpokenLanguage(record.language ?? "en");
    } catch { /* the connection below says what is wrong */ }
  } else {
    // The session is asked for up front, with the person's practice id; a server with auth on
    // leaves that to the platform.
    const options = {
      subject: practiceId, locale, ...(ui.record.checked ? { record: true } : {}), ...(interview ?? {}),
    };
    setSpokenLanguage("language" in options ? String(options.language) : "en");
    let response, body;
    try {
      response = await fetch("/api/sessions", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(options),
      });
      body = await response.json();
    } catch {
      stopCamera();
      showStatus("failed", FAILURE_TEXT.server_unreachable);
      return;
    }
    if (!response.ok) {
      stopCamera();
      showStatus("failed", body.error?.message ?? t("the server answered {status}", { status: response.status }));
      return;
    }
    sessionId = body.session_id;
    transcribing = body.transcript;
  }
  // ?fps=N&kbps=N set what the browser sends (measurement knobs: bench/browser_packets.py).
  const query = new URLSearchParams(location.search);
  client = new LensClient({
    sessionId,
    maxFramerate: Number(query.get("fps")) || undefined,
    maxVideoBitrate: Number(query.get("kbps")) * 1000 || undefined,
  });
  client.addEventListener("message", (e) => onMessage(/** @type {CustomEvent} */ (e).detail));
  client.addEventListener("voice", (e) => playVoice(/** @type {CustomEvent} */ (e).detail));
  const talking = client;
  startInterview((message) => talking.send(message), interview !== null && !resumeId);
  if (interview) sessionStorage.setItem(LIVE_KEY, sessionId ?? "");
  // The server may end the session itself (a restart, the longest a session may last): it
  // says why and sends the report first; that is an ending, not a failure.
  let closedBy = null;
  let serverReport = null;
  client.addEventListener("message", (e) => {
    const detail = /** @type {CustomEvent} */ (e).detail;
    if (detail.type === "session.closed") closedBy = detail.reason;
    if (detail.type === "session.report") serverReport = detail;
  });
  client.addEventListener("state", (e) => {
    const { state, code, message } = /** @type {CustomEvent} */ (e).detail;
    if (state === "failed" && closedBy && client === talking) {
      endedByServer(talking, closedBy, serverReport?.report_url);
      return;
    }
    if (state === "failed" || state === "closed") {
      stopCamera();
      resetReadouts(state === "closed" ? t("Session ended.") : CUE_IDLE); // quiet, not frozen
      if (state === "failed") endInterview();
    }
    showStatus(state, FAILURE_TEXT[code] ?? message);
    // A session that had started keeps its report on the server (a lost worker's from its last
    // checkpoint, a drained one's at its end): offer it as soon as the server has it.
    if (state === "failed" && started && client?.sessionId) {
      const mine = attempt;
      watchForReport(client.sessionId, ui.status, () => attempt === mine);
    }
  });
  let started = false;
  client.addEventListener("message", (e) => {
    if (/** @type {CustomEvent} */ (e).detail.type === "session.ready") started = true;
  });
  try {
    await client.connect(stream);
  } catch (err) {
    // The client already reported the failure through its "state" event.
    const { code, message } = /** @type {{ code?: string, message?: string }} */ (err);
    console.info("connect failed:", code, message);
  }
}

function stopCamera() {
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  ui.preview.srcObject = null;
}

/** What the page knows of the session now, for the ending. */
function known() {
  return {
    seconds: readyAt ? (Date.now() - readyAt) / 1000 : 0,
    tips,
    fillers: transcribing ? fillersSaid() : null,
    answers: answersGiven(),
  };
}

// Why the server ended a session, in the person's words.
const CLOSED_TEXT = {
  server_shutdown: t("the server was restarting, so it ended your session. Everything up to then is in your report."),
  max_duration: t("your session reached the longest a session may last."),
  deleted: t("this session was deleted, with everything recorded of it."),
  heartbeat_timeout: t("the server stopped hearing from this page."),
};

/**
 * The server ended the session: what is known, then its report in place (or, for a deleted
 * session, nothing to show).
 * @param {LensClient} ended
 * @param {string} reason
 * @param {string | undefined} reportUrl
 */
async function endedByServer(ended, reason, reportUrl) {
  client = null;
  const now = known();
  stopCamera();
  resetReadouts(t("Session ended."));
  showStatus("closed", CLOSED_TEXT[reason] ?? t("the server ended the session ({reason}).", { reason: reason.replaceAll("_", " ") }));
  sessionStorage.removeItem(LIVE_KEY);
  if (reason === "deleted") {
    endInterview();
    return;
  }
  showKnown(now);
  const url = reportUrl ?? (ended.sessionId && `/api/sessions/${ended.sessionId}/report`);
  if (url) await showReportInPlace(url);
}

async function stop() {
  const ending = client;
  client = null;
  ui.disconnect.disabled = true;
  // At once: the live panel goes, and what is known already shows.
  const now = known();
  resetReadouts(t("Session ended."));
  ui.status.textContent = t("Ending: preparing your report…");
  showKnown(now);
  const sessionId = ending?.sessionId;
  // The report waits for the last words to be transcribed: give it time, and show it anyway.
  const report = await ending?.end(30_000);
  stopCamera();
  showStatus("closed");
  sessionStorage.removeItem(LIVE_KEY);
  const url = report?.report_url ?? (sessionId && `/api/sessions/${sessionId}/report`);
  if (url) await showReportInPlace(url);
  else endInterview();
}

ui.connect.addEventListener("click", () => start());
ui.checkSetup.addEventListener("click", () => {
  ui.checkSetup.disabled = true;
  ui.setupVerdict.textContent = t("Checking…");
  client?.send({ type: "setup" });
});
ui.calibrate.addEventListener("click", () => {
  ui.calibrate.disabled = true;
  ui.gazeStatus.dataset.state = "looking";
  ui.gazeStatus.textContent = t("Look straight at your camera now, and hold it…");
  client?.send({ type: "calibrate" });
});
ui.disconnect.addEventListener("click", stop);
window.addEventListener("pagehide", () => client?.close());
// Leaving mid-interview asks first (the interview waits a little for a reload, not for ever).
window.addEventListener("beforeunload", (event) => {
  if (client && interviewGoing()) event.preventDefault();
});
showStatus("idle");

/** A reload during an interview: offer to continue it while it is alive, else its report. */
async function comeBack() {
  const sessionId = sessionStorage.getItem(LIVE_KEY);
  if (!sessionId) return;
  let record;
  try {
    const response = await fetch(`/api/sessions/${sessionId}`);
    if (!response.ok) {
      sessionStorage.removeItem(LIVE_KEY);
      return;
    }
    record = await response.json();
  } catch {
    return;
  }
  if (record.state === "ended") {
    sessionStorage.removeItem(LIVE_KEY);
    await showReportInPlace(`/api/sessions/${sessionId}/report`, t("Your last session's report"));
    return;
  }
  if (!["active", "connecting", "created"].includes(record.state)) return;
  ui.resume.hidden = false;
  ui.resumeContinue.focus();
  ui.resumeContinue.onclick = () => start(sessionId);
  ui.resumeNew.onclick = () => {
    sessionStorage.removeItem(LIVE_KEY);
    ui.resume.hidden = true;
  };
}
comeBack();

// The record box shows only where the server records (LENS_RECORDING=allowed, auth off).
fetch("/health").then((r) => r.json()).then((health) => {
  ui.recordBox.hidden = health.recording !== "allowed";
  const retention = document.getElementById("retention");
  if (retention && health.recording_retention_days) retention.textContent = String(Math.round(health.recording_retention_days));
}).catch(() => {});
