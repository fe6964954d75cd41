// The demo page: camera preview, start/end, connection state and live readouts.
import { LensClient } from "./lens-client.js";
import { clearEnding, showKnown, showReportInPlace, watchForReport } from "./ending.js";
import {
  answersGiven, endInterview, interviewOptions, noteAnswerTime, onInterviewMessage, playVoice,
  startInterview,
} from "./interview.js";

/**
 * The page's element ``id``, checked to be a ``Type`` (an HTML element by default).
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T, prototype: T, name: string }} [Type]
 * @returns {T}
 */
function $(id, Type) {
  const found = document.getElementById(id);
  const expected = Type ?? HTMLElement;
  if (!(found instanceof expected)) throw new Error(`#${id} should be a ${expected.name}`);
  return /** @type {T} */ (found);
}
const ui = {
  preview: $("preview", HTMLVideoElement), connect: $("connect", HTMLButtonElement),
  disconnect: $("disconnect", HTMLButtonElement), status: $("status"),
  face: $("face"), faces: $("faces"), speech: $("speech"), loudness: $("loudness"),
  meter: $("loudness-meter", HTMLMeterElement), latency: $("latency"), rtt: $("rtt"), frames: $("frames"),
  skipped: $("skipped"), session: $("session"), eyeContact: $("eye-contact"),
  expression: $("expression"), headPose: $("head-pose"), eyeContactRatio: $("eye-contact-ratio"),
  headStability: $("head-stability"), blinkRate: $("blink-rate"),
  dominantExpression: $("dominant-expression"), pitch: $("pitch"), talkRatio: $("talk-ratio"),
  pauses: $("pauses"), speakingRate: $("speaking-rate"), arousal: $("arousal"),
  pitchVariation: $("pitch-variation"),
  captions: $("captions"), fillers: $("fillers"), setup: $("setup"), posture: $("posture"),
  setupVerdict: $("setup-verdict"), setupAdvice: $("setup-advice"),
  checkSetup: $("check-setup", HTMLButtonElement),
  gazeStatus: $("gaze-status"), calibrate: $("calibrate", HTMLButtonElement),
  cue: $("cue"), recordBox: $("record-box"), record: $("record", HTMLInputElement),
};
// One cue at a time (the server sends at most one every 20 s): shown large for a while, then
// back to calm.
const CUE_SECONDS = 12;
const CUE_IDLE = "Your coach speaks up here, one tip at a time.";
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
  cueTimer = setTimeout(() => showCue("All good", "calm"), CUE_SECONDS * 1000);
}
let fillerCount = 0;
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
  showCue("Waiting for the server…", "idle");
  for (const el of [ui.face, ui.speech, ui.eyeContact, ui.posture]) setReadout(el, "–", "unknown");
  ui.loudness.textContent = "–";
  ui.status.dataset.state = "connecting";
  ui.status.textContent = `Waiting for the server: it has not answered for ${quiet} s. Your session so far is kept.`;
}, 1000);
const GAZE_PROMPT = ui.gazeStatus.textContent; // the page's own words
const CAPTION_LINES = 2;

const percent = (x) => (x == null ? "–" : `${Math.round(x * 100)} %`);
const degrees = (x) => `${x > 0 ? "+" : ""}${x.toFixed(0)}°`;

// What a person is told when connecting fails, by error code; other codes show the server's
// own message.
const FAILURE_TEXT = {
  server_full: "the server is busy with other interviews. Try again in a minute.",
  server_unreachable: "cannot reach the Interview Lens server. Check your connection and retry.",
  ice_failed: "the media connection was blocked (a firewall or VPN?). Try another network.",
  connect_timeout: "the server did not answer in time. Retry in a moment.",
  server_silent: "the server stopped answering.",
  channel_closed: "the server ended the session.",
};

// What to do about a denied camera: the browser remembers the refusal until the person changes it.
const CAMERA_DENIED = "camera or microphone access was denied. Click the camera icon (or the padlock) "
  + "at the left of the address bar, allow the camera and microphone for this site, then press Start again. "
  + (location.protocol === "https:" || ["localhost", "127.0.0.1"].includes(location.hostname)
    ? "" : "Browsers only allow cameras on https:// pages or on localhost.");

const STATUS_TEXT = {
  idle: "Not connected",
  camera: "Asking for camera and microphone…",
  connecting: "Connecting…",
  connected: "Connected: analysing",
  closed: "Session ended",
  failed: "Connection failed",
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
let framesAnalysed = 0;

/**
 * @param {string} state
 * @param {string} [message]
 * @param {string} [title] what went wrong, when not the connection (the camera, say)
 */
function showStatus(state, message, title = STATUS_TEXT[state]) {
  ui.status.dataset.state = state;
  ui.status.textContent = message ? `${title}: ${message}` : title;
  const busy = state === "camera" || state === "connecting" || state === "connected";
  ui.connect.disabled = busy;
  ui.disconnect.disabled = !busy;
}

function setReadout(el, text, value) {
  el.textContent = text;
  if (value !== undefined) el.dataset.value = value;
}

function resetReadouts(cue = CUE_IDLE) {
  showCue(cue, "idle");
  for (const el of [ui.face, ui.speech, ui.eyeContact, ui.posture]) setReadout(el, "–", "unknown");
  for (const el of [ui.faces, ui.loudness, ui.latency, ui.rtt, ui.session, ui.expression,
    ui.headPose, ui.eyeContactRatio, ui.headStability, ui.blinkRate, ui.dominantExpression,
    ui.pitch, ui.talkRatio, ui.pauses, ui.speakingRate, ui.arousal, ui.pitchVariation]) {
    el.textContent = "–";
  }
  ui.meter.value = -60;
  framesAnalysed = 0;
  ui.frames.textContent = "0";
  ui.skipped.textContent = "0";
  fillerCount = 0;
  ui.fillers.textContent = "–";
  ui.fillers.dataset.value = "0";
  ui.captions.replaceChildren();
  ui.setup.hidden = true;
  ui.setupAdvice.replaceChildren();
  ui.gazeStatus.dataset.state = "idle";
  ui.gazeStatus.textContent = GAZE_PROMPT;
  ui.calibrate.disabled = false;
  ui.calibrate.textContent = "Set where I look";
}

/** Posture comes in its own message every couple of seconds: it stays until the next. */
function showPosture(p) {
  // Slumped is judged against the person's own first minute; until then there is no verdict.
  const state = p.hand_over_face ? "hand" : p.slumped == null ? "learning" : p.slumped ? "slumped" : "upright";
  const words = { hand: "Hand over your face", learning: "Learning your posture", slumped: "Slumped", upright: "Upright" }[state];
  setReadout(ui.posture, `${words}, shoulders ${Math.abs(p.shoulder_tilt).toFixed(0)}° off level`, state);
}

/** The server's setup check: framing and light, before the interview starts and on request. */
function showSetup(message) {
  ui.setup.hidden = false;
  ui.setupVerdict.dataset.ok = String(message.ok);
  ui.setupVerdict.textContent = message.ok ? "All good: you are framed and lit well." : "Before you start:";
  ui.setupAdvice.replaceChildren(...message.advice.map(({ code, text }) => {
    const item = document.createElement("li");
    item.dataset.code = code;
    item.textContent = text;
    return item;
  }));
  ui.checkSetup.disabled = false;
}

/** Where the person looks when looking at the interviewer: the server's words on how it went. */
function showCalibration(message) {
  ui.gazeStatus.dataset.state = message.ok ? "done" : "failed";
  ui.gazeStatus.textContent = message.text;
  ui.calibrate.disabled = false;
  ui.calibrate.textContent = message.ok ? "Set it again" : "Try again";
}

function onMessage(message) {
  const now = Date.now() / 1000;
  if (client && readyAt && Date.now() - heardAt >= QUIET_MS) {
    showCue("All good", "calm"); // heard again
    showStatus("connected");
  }
  heardAt = Date.now();
  // Once ended, the page shows the ending: late live messages leave the cleared readouts be.
  if (client === null && message.type !== "session.report") return;
  noteAnswerTime(message);
  if (onInterviewMessage(message)) return;
  switch (message.type) {
    case "session.ready":
      readyAt = Date.now();
      ui.session.textContent = message.session_id.slice(0, 8);
      showCue("All good", "calm");
      // Keyboard and screen-reader users land on the coach (an interview moves focus on to
      // its first question when it comes).
      if (document.activeElement === ui.connect || document.activeElement === document.body) ui.cue.focus();
      break;
    case "posture":
      showPosture(message);
      break;
    case "nudge":
      showNudge(message);
      break;
    case "video.frame":
      setReadout(ui.face, message.face ? "In view" : "Not in view", message.face ? "yes" : "no");
      ui.faces.textContent = String(message.faces);
      if (message.eye_contact == null) setReadout(ui.eyeContact, "–", "unknown");
      else setReadout(ui.eyeContact, message.eye_contact ? "Yes" : "Looking away", message.eye_contact ? "yes" : "no");
      ui.expression.textContent = message.expression?.label ?? "–";
      ui.headPose.textContent = message.head_pose
        ? `${degrees(message.head_pose.yaw)} / ${degrees(message.head_pose.pitch)} / ${degrees(message.head_pose.roll)}`
        : "–";
      ui.frames.textContent = String(++framesAnalysed);
      ui.skipped.textContent = String(message.frames_skipped);
      // received_at is the server's clock: meaningful when page and server share a host.
      ui.latency.textContent = `${Math.max(0, (now - message.received_at) * 1000).toFixed(0)} ms`;
      break;
    case "audio.window":
      setReadout(ui.speech, message.speech ? "Speaking" : "Quiet", message.speech ? "speaking" : "quiet");
      // In words, with the level for those who want it (speech is usually -30 to -15 dB).
      ui.loudness.textContent = `${message.rms_dbfs < -45 ? "silent" : message.rms_dbfs < -35 ? "quiet" : message.rms_dbfs > -10 ? "very loud" : "good"} (${message.rms_dbfs.toFixed(0)} dB)`;
      ui.meter.value = Math.max(-60, message.rms_dbfs);
      if (message.pitch_hz != null) ui.pitch.textContent = `${message.pitch_hz.toFixed(0)} Hz`;
      break;
    case "summary":
      ui.eyeContactRatio.textContent = percent(message.eye_contact_ratio);
      ui.headStability.textContent = percent(message.head_stability);
      ui.blinkRate.textContent = message.blinks_per_min == null ? "–" : message.blinks_per_min.toFixed(0);
      ui.dominantExpression.textContent = message.expression?.dominant ?? "–";
      if (message.talk_ratio != null) ui.talkRatio.textContent = percent(message.talk_ratio);
      if (message.pauses) {
        const { count, mean_s: mean } = message.pauses;
        ui.pauses.textContent = count ? `${count} (avg ${mean.toFixed(1)} s)` : "none";
      }
      // Pace says little over a sentence or two: shown once 10 s of turns were heard (what the
      // coach waits for too).
      if (message.speaking_rate && message.speaking_rate.turn_seconds >= 10) {
        // Speech rate over the speaking turns; "≈" when estimated from syllables, not counted.
        const { wpm, wpm_from: from } = message.speaking_rate;
        ui.speakingRate.textContent = `${from === "words" ? "" : "≈ "}${wpm.toFixed(0)} wpm`;
        ui.speakingRate.title = from === "words" ? "words per minute, counted from what you said" : "words per minute, estimated from syllables";
      }
      if (message.arousal) ui.arousal.textContent = message.arousal.label;
      if (message.pitch) ui.pitchVariation.textContent = `${message.pitch.std_semitones.toFixed(1)} semitones`;
      break;
    case "transcript":
      showCaption(message);
      break;
    case "setup":
      showSetup(message);
      break;
    case "calibration":
      showCalibration(message);
      break;
    case "pong":
      if (client?.rttMs != null) ui.rtt.textContent = `${client.rttMs.toFixed(0)} ms`;
      break;
    case "session.draining": {
      const until = new Date(message.deadline * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      showStatus("connected", `the server is restarting; this session can go on until ${until}`);
      break;
    }
    case "error":
      console.warn("server:", message.code, message.message);
      break;
  }
}

// The last lines said, fillers marked (filled pauses and discourse fillers alike); a running
// count of filled pauses: the report's "Filler words (um, uh)", the same number.
// A partial transcript (the answer still going on) shows as the last line until the next
// partial or its final replaces it; only finals are counted.
function showCaption(message) {
  const last = /** @type {HTMLElement | null} */ (ui.captions.lastElementChild);
  if (last?.dataset.partial === "true") last.remove();
  const line = document.createElement("span");
  line.className = "caption";
  line.dataset.partial = String(message.final === false);
  const joiner = message.language?.startsWith("zh") ? "" : " ";
  message.words.forEach((w, i) => {
    if (i) line.append(joiner);
    if (w.filler) {
      const mark = document.createElement("mark");
      mark.textContent = w.word;
      line.append(mark);
    } else {
      line.append(w.word);
    }
  });
  ui.captions.append(line);
  while (ui.captions.children.length > CAPTION_LINES) ui.captions.firstElementChild?.remove();
  if (message.final === false) return;
  fillerCount += message.words.filter((w) => w.filler === "filled").length;
  ui.fillers.textContent = String(fillerCount);
  ui.fillers.dataset.value = String(fillerCount);
}

async function start() {
  attempt += 1;
  resetReadouts();
  clearEnding();
  tips = 0;
  readyAt = 0;
  showStatus("camera");
  try {
    stream = await navigator.mediaDevices.getUserMedia(LensClient.mediaConstraints());
  } catch (err) {
    const { name } = /** @type {DOMException} */ (err);
    const denied = name === "NotAllowedError" || name === "SecurityError";
    showStatus("failed", denied ? CAMERA_DENIED : `no camera or microphone was found (${name}). Plug one in, or close other apps using it, then press Start again.`, "No camera");
    return;
  }
  ui.preview.srcObject = stream;
  let sessionId = null;
  const interview = interviewOptions();
  {
    // The session is asked for up front, with the person's practice id; a server with auth on
    // leaves that to the platform.
    const options = {
      subject: practiceId, ...(ui.record.checked ? { record: true } : {}), ...(interview ?? {}),
    };
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
      showStatus("failed", body.error?.message ?? `the server answered ${response.status}`);
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
  startInterview((message) => talking.send(message));
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
      resetReadouts(state === "closed" ? "Session ended." : CUE_IDLE); // quiet, not frozen
      if (state === "failed") endInterview(null);
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
    fillers: transcribing ? fillerCount : null,
    answers: answersGiven(),
  };
}

// Why the server ended a session, in the person's words.
const CLOSED_TEXT = {
  server_shutdown: "the server was restarting, so it ended your session. Everything up to then is in your report.",
  max_duration: "your session reached the longest a session may last.",
  deleted: "this session was deleted, with everything recorded of it.",
  heartbeat_timeout: "the server stopped hearing from this page.",
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
  resetReadouts("Session ended.");
  showStatus("closed", CLOSED_TEXT[reason] ?? `the server ended the session (${reason.replaceAll("_", " ")}).`);
  if (reason === "deleted") {
    await endInterview(null);
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
  resetReadouts("Session ended.");
  ui.status.textContent = "Ending: preparing your report…";
  showKnown(now);
  const sessionId = ending?.sessionId;
  // The report waits for the last words to be transcribed: give it time, and show it anyway.
  const report = await ending?.end(30_000);
  stopCamera();
  showStatus("closed");
  const url = report?.report_url ?? (sessionId && `/api/sessions/${sessionId}/report`);
  if (url) await showReportInPlace(url);
  else await endInterview(null);
}

ui.connect.addEventListener("click", start);
ui.checkSetup.addEventListener("click", () => {
  ui.checkSetup.disabled = true;
  ui.setupVerdict.textContent = "Checking…";
  client?.send({ type: "setup" });
});
ui.calibrate.addEventListener("click", () => {
  ui.calibrate.disabled = true;
  ui.gazeStatus.dataset.state = "looking";
  ui.gazeStatus.textContent = "Look at the interviewer's picture now, and hold it…";
  client?.send({ type: "calibrate" });
});
ui.disconnect.addEventListener("click", stop);
window.addEventListener("pagehide", () => client?.close());
showStatus("idle");

// The record box shows only where the server records (LENS_RECORDING=allowed, auth off).
fetch("/health").then((r) => r.json()).then((health) => {
  ui.recordBox.hidden = health.recording !== "allowed";
  const retention = document.getElementById("retention");
  if (retention && health.recording_retention_days) retention.textContent = String(Math.round(health.recording_retention_days));
}).catch(() => {});
