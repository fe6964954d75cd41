// The demo page's live readouts: what the server measured, as it comes, in plain words (the
// four steady indicators, then "All the numbers"), the captions, the setup check and the
// calibration. Each server message of these kinds is drawn here; nothing else is.
import { $ } from "./dom.js";
import { t } from "./i18n.js";

/** The expression and voice-energy labels the server sends, in words. */
const LABELS = {
  angry: t("angry"), disgust: t("disgust"), fear: t("fear"), happy: t("happy"), sad: t("sad"),
  surprise: t("surprise"), neutral: t("neutral"), calm: t("calm"), animated: t("animated"),
};
/** Why blinks are not counted (the server's `blinks_not_measured`), short enough for a readout.
 * @type {Record<string, string>} */
const BLINKS_NOT_MEASURED = {
  face_too_small: t("not measured: move closer"),
  eyes_lowered: t("not measured: eyes lowered"),
  eyes_unsteady: t("not measured: picture too grainy"),
};
/** @param {string | null | undefined} label */
const label = (label) => (label ? LABELS[label] ?? label : "–");

/** Pace is counted in words in English and in characters (syllables) in Chinese. */
let paceUnit = "words";
/** @param {string} language the session's spoken language (`en`, `cmn`, `zh`) */
export function setSpokenLanguage(language) {
  paceUnit = /^(zh|cmn)/.test(language) ? "characters" : "words";
  const typical = document.querySelector("#speaking-rate")?.closest(".readout")?.querySelector(".typical");
  if (typical) {
    typical.textContent = paceUnit === "words" ? t("conversation is usually 120-160 words/min")
      : t("conversation is usually 150-200 characters/min");
  }
}

const ui = {
  face: $("face"), faces: $("faces"), speech: $("speech"), loudness: $("loudness"),
  meter: $("loudness-meter", HTMLMeterElement), latency: $("latency"), rtt: $("rtt"), frames: $("frames"),
  skipped: $("skipped"), session: $("session"), eyeContact: $("eye-contact"),
  expression: $("expression"), headPose: $("head-pose"), eyeContactRatio: $("eye-contact-ratio"),
  headStability: $("head-stability"), blinkRate: $("blink-rate"),
  dominantExpression: $("dominant-expression"), pitch: $("pitch"), talkRatio: $("talk-ratio"),
  pauses: $("pauses"), speakingRate: $("speaking-rate"), arousal: $("arousal"),
  pitchVariation: $("pitch-variation"),
  captions: $("captions"), fillers: $("fillers"), setup: $("setup"), posture: $("posture"),
  interview: $("interview"),
  setupVerdict: $("setup-verdict"), setupAdvice: $("setup-advice"),
  checkSetup: $("check-setup", HTMLButtonElement),
  gazeStatus: $("gaze-status"), calibrate: $("calibrate", HTMLButtonElement),
};
const GAZE_PROMPT = ui.gazeStatus.textContent; // the page's own words
const CAPTION_LINES = 2;
let framesAnalysed = 0;
let fillerCount = 0;

const percent = (x) => (x == null ? "–" : `${Math.round(x * 100)} %`);
const degrees = (x) => `${x > 0 ? "+" : ""}${x.toFixed(0)}°`;

function setReadout(el, text, value) {
  el.textContent = text;
  if (value !== undefined) el.dataset.value = value;
}

/** How many "um"s and "uh"s were heard this session (the report's count). */
export function fillersSaid() {
  return fillerCount;
}

/** The server is quiet: the steady indicators say nothing rather than something stale. */
export function blankLive() {
  for (const el of [ui.face, ui.speech, ui.eyeContact, ui.posture]) setReadout(el, "–", "unknown");
  ui.loudness.textContent = "–";
}

/** @param {string} sessionId */
export function showSessionId(sessionId) {
  ui.session.textContent = sessionId.slice(0, 8);
}

/** @param {number} ms */
export function showRoundTrip(ms) {
  ui.rtt.textContent = `${ms.toFixed(0)} ms`;
}

export function clearReadouts() {
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
  ui.calibrate.textContent = t("Set where I look");
}

/** Posture comes in its own message every couple of seconds: it stays until the next. */
function showPosture(p) {
  // Slumped is judged against the person's own first minute; until then there is no verdict.
  const state = p.hand_over_face ? "hand" : p.slumped == null ? "learning" : p.slumped ? "slumped" : "upright";
  const words = { hand: t("Hand over your face"), learning: t("Learning your posture"), slumped: t("Slumped"), upright: t("Upright") }[state];
  setReadout(ui.posture, t("{posture}, shoulders {degrees}° off level", { posture: words, degrees: Math.abs(p.shoulder_tilt).toFixed(0) }), state);
}

/** The server's setup check: framing and light, before the interview starts and on request. */
function showSetup(message) {
  // A step before the questions (and in open practice): never a panel in the way of one.
  if (ui.interview.hidden) ui.setup.hidden = false;
  ui.setupVerdict.dataset.ok = String(message.ok);
  ui.setupVerdict.textContent = message.ok ? t("All good: you are framed and lit well.") : t("Before you start:");
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
  ui.calibrate.textContent = message.ok ? t("Set it again") : t("Try again");
}

/**
 * A server message with results, drawn; false for any other kind.
 * @param {any} message
 */
export function showResult(message) {
  const now = Date.now() / 1000;
  switch (message.type) {
    case "posture":
      showPosture(message);
      return true;
    case "video.frame":
      setReadout(ui.face, message.face ? t("In view") : t("Not in view"), message.face ? "yes" : "no");
      ui.faces.textContent = String(message.faces);
      if (message.eye_contact == null) setReadout(ui.eyeContact, "–", "unknown");
      else setReadout(ui.eyeContact, message.eye_contact ? t("Yes") : t("Looking away"), message.eye_contact ? "yes" : "no");
      ui.expression.textContent = label(message.expression?.label);
      ui.headPose.textContent = message.head_pose
        ? `${degrees(message.head_pose.yaw)} / ${degrees(message.head_pose.pitch)} / ${degrees(message.head_pose.roll)}`
        : "–";
      ui.frames.textContent = String(++framesAnalysed);
      ui.skipped.textContent = String(message.frames_skipped);
      // received_at is the server's clock: meaningful when page and server share a host.
      ui.latency.textContent = `${Math.max(0, (now - message.received_at) * 1000).toFixed(0)} ms`;
      return true;
    case "audio.window":
      setReadout(ui.speech, message.speech ? t("Speaking") : t("Quiet"), message.speech ? "speaking" : "quiet");
      // In words, with the level for those who want it (speech is usually -30 to -15 dB).
      const level = message.rms_dbfs < -45 ? t("silent") : message.rms_dbfs < -35 ? t("quiet")
        : message.rms_dbfs > -10 ? t("very loud") : t("good");
      ui.loudness.textContent = level + ` (${message.rms_dbfs.toFixed(0)} dB)`;
      ui.meter.value = Math.max(-60, message.rms_dbfs);
      if (message.pitch_hz != null) ui.pitch.textContent = `${message.pitch_hz.toFixed(0)} Hz`;
      return true;
    case "summary":
      ui.eyeContactRatio.textContent = percent(message.eye_contact_ratio);
      ui.headStability.textContent = percent(message.head_stability);
      ui.blinkRate.textContent = message.blinks_per_min != null ? message.blinks_per_min.toFixed(0)
        : BLINKS_NOT_MEASURED[message.blinks_not_measured] ?? "–";
      ui.dominantExpression.textContent = label(message.expression?.dominant);
      if (message.talk_ratio != null) ui.talkRatio.textContent = percent(message.talk_ratio);
      if (message.pauses) {
        const { count, mean_s: mean } = message.pauses;
        ui.pauses.textContent = count ? t("{n} (avg {s} s)", { n: count, s: mean.toFixed(1) }) : t("none");
      }
      // Pace says little over a sentence or two: shown once 10 s of turns were heard (what the
      // coach waits for too).
      if (message.speaking_rate && message.speaking_rate.turn_seconds >= 10) {
        // Speech rate over the speaking turns; "≈" when estimated from syllables, not counted.
        const { wpm, wpm_from: from } = message.speaking_rate;
        const rate = paceUnit === "words" ? t("{n} words/min", { n: wpm.toFixed(0) }) : t("{n} characters/min", { n: wpm.toFixed(0) });
        ui.speakingRate.textContent = `${from === "words" ? "" : "≈ "}${rate}`;
        ui.speakingRate.title = from === "words" ? t("counted from what you said") : t("estimated from syllables");
      }
      if (message.arousal) ui.arousal.textContent = label(message.arousal.label);
      if (message.pitch) ui.pitchVariation.textContent = t("{n} semitones", { n: message.pitch.std_semitones.toFixed(1) });
      return true;
    case "transcript":
      showCaption(message);
      return true;
    case "setup":
      showSetup(message);
      return true;
    case "calibration":
      showCalibration(message);
      return true;
    default:
      return false;
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

