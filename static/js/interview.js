// Interview practice on the demo page: the choice of role, language and length before
// starting, the camera check as a step before the first question, then each question as the
// server announces it (its phase and deadline: this page keeps no clock or phase of its own),
// the person's controls (each naming the question it is about) and each answer's feedback.
// Question text, answers and a language model's words are shown as text, never as HTML.
import { $ } from "./dom.js";
import { clock } from "./format.js";
import { t } from "./i18n.js";

/**
 * @typedef {{ role: string, title: string, questions: number }} RoleSet
 */

const ui = {
  practice: $("practice"),
  mode: $("mode", HTMLSelectElement),
  role: $("role", HTMLSelectElement),
  language: $("language", HTMLSelectElement),
  count: $("count", HTMLSelectElement),
  useCamera: $("use-camera", HTMLInputElement),
  panel: $("interview"),
  number: $("question-number"),
  question: $("question"),
  clock: $("answer-clock"),
  done: $("answer-done", HTMLButtonElement),
  next: $("question-next", HTMLButtonElement),
  retake: $("answer-retake", HTMLButtonElement),
  repeat: $("question-repeat", HTMLButtonElement),
  feedback: $("answer-feedback"),
  guideToggle: $("guide-toggle", HTMLButtonElement),
  guide: $("guide"),
  setup: $("setup"),
  begin: $("begin", HTMLButtonElement),
  voice: $("interviewer", HTMLAudioElement),
};

/** Seconds the interviewer waits after an answer's feedback before its next question. */
const AUTO_ADVANCE_SECONDS = 4;

/** @type {Record<string, RoleSet[]>} */
let roles = {};
/** @type {((message: object) => void) | null} */
let send = null;
let timer = 0;
/** @type {any} the current question's guide (``null``: its file gives none) */
let guide = null;
/** What the server said last: the question, its phase and when that phase ends. */
const now = { index: -1, of: 0, phase: "idle", deadline: 0, answerSeconds: 0, reason: "", language: "en" };
/** @type {Set<number> | null} the questions answered this session; null while it is no interview */
let answered = null;

const ENDED = {
  complete: t("That sounded complete."),
  silence: t("You paused, so the answer ended."),
  time: t("Time is up for this answer."),
  done: t("Answer ended."),
  skipped: t("Skipped."),
};

function fillRoles() {
  const sets = roles[ui.language.value] ?? [];
  ui.role.replaceChildren(...sets.map((set) => {
    const option = document.createElement("option");
    option.value = set.role;
    option.textContent = set.role === "general" ? t("General questions") : set.title;
    return option;
  }));
}

/** The options of POST /api/sessions for the chosen practice (``null``: no interview). */
export function interviewOptions() {
  if (ui.mode.value !== "interview") return null;
  return {
    interview: {
      role: ui.role.value || "general",
      language: ui.language.value,
      count: Number(ui.count.value),
      auto_advance_seconds: AUTO_ADVANCE_SECONDS,
      wait_for_begin: true,
    },
    ...(ui.language.value === "zh" ? { language: "cmn" } : {}),
  };
}

/** Whether the person chose to practise with their camera. */
export function cameraWanted() {
  return ui.useCamera.checked;
}

/** Seconds left in the current phase (0 when it ends only when something happens). */
const left = () => Math.max(0, (now.deadline - performance.now()) / 1000);

/** The clock line of the phase the server announced. */
function render() {
  const rest = left();
  ui.clock.dataset.phase = now.phase;
  switch (now.phase) {
    case "asking":
      ui.clock.textContent = t("Listen to the question… (or just start answering)");
      break;
    case "thinking":
      ui.clock.textContent = rest > 0
        ? t("Take a moment to think: {s} s, or just start talking", { s: Math.ceil(rest) })
        : t("Start whenever you are ready");
      break;
    case "answering": {
      const gone = now.answerSeconds - rest;
      ui.clock.dataset.phase = gone > now.answerSeconds * 0.85 ? "late" : "answering";
      ui.clock.textContent = t("Answering {gone} of {all}", { gone: clock(gone), all: clock(now.answerSeconds) });
      break;
    }
    case "answered":
      ui.clock.textContent = (ENDED[now.reason] ?? t("Answer ended.")) + " " + (now.deadline
        ? t("Next question in {s} s.", { s: Math.ceil(rest) }) : t("Next question when you are ready."));
      break;
    default:
      ui.clock.textContent = "";
  }
}

/**
 * The buttons the phase allows; the main one looks it. While the question is said, moving
 * on is possible but not the main button (one click would skip a question unheard).
 * @param {string} phase
 */
function setButtons(phase) {
  const going = phase === "thinking" || phase === "answering";
  ui.done.disabled = !going;
  ui.retake.disabled = !(going || phase === "answered");
  ui.repeat.disabled = !(phase === "asking" || phase === "thinking");
  ui.next.disabled = !["asking", "thinking", "answering", "answered"].includes(phase);
  ui.next.textContent = phase === "answered" ? t("Next question") : t("Skip this question");
  ui.next.classList.toggle("secondary", phase !== "answered");
  ui.done.classList.toggle("secondary", !going);
}

/** @param {any} m an ``interview.phase`` message */
function showPhase(m) {
  now.phase = m.phase;
  now.index = m.index;
  now.deadline = m.ends_in == null ? 0 : performance.now() + m.ends_in * 1000;
  setButtons(m.phase);
  clearInterval(timer);
  render();
  if (now.deadline) timer = window.setInterval(render, 250);
  if (m.phase === "answered") ui.next.focus();
}

/** @param {any} m a ``question`` message */
function showQuestion(m) {
  answered ??= new Set();
  ui.panel.hidden = false;
  ui.practice.hidden = true;
  ui.setup.hidden = true;
  ui.number.textContent = t("Question {n} of {of}", { n: m.index + 1, of: m.of })
    + (m.attempt > 1 ? " · " + t("try {n}", { n: m.attempt }) : "");
  ui.question.textContent = m.text;
  now.language = m.language ?? ui.language.value;
  if (m.index !== now.index) {
    ui.feedback.replaceChildren();
    showGuide(false);
  }
  guide = m.guide ?? null;
  ui.guideToggle.hidden = guide == null;
  now.index = m.index;
  now.of = m.of;
  now.answerSeconds = m.answer_seconds;
  ui.question.focus();
}

/**
 * An element with text (never HTML).
 * @param {string} tag
 * @param {string} text
 * @param {string} [className]
 */
function el(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

/**
 * A list of lines (text only).
 * @param {"ul" | "ol"} tag
 * @param {string[]} lines
 */
function list(tag, lines) {
  const node = document.createElement(tag);
  node.append(...lines.map((line) => el("li", line)));
  return node;
}

/**
 * One piece of advice: what was heard, what to do, the words said and the figure.
 * @param {any} tip
 * @param {boolean} good
 */
function tipLine(tip, good) {
  const line = document.createElement(good ? "p" : "li");
  if (good) line.className = "advice-good";
  line.append(el("strong", tip.text));
  if (tip.do) line.append(" ", tip.do);
  const e = tip.evidence;
  if (e.said) line.append(" ", el("q", e.said));
  if (e.value != null && !good) {
    const shown = typeof e.value === "number" && tip.kind.startsWith("eye_contact")
      ? `${Math.round(e.value * 100)} %` : `${e.value}`;
    line.append(el("span", t("{figure}: {value} (typical: {typical})", { figure: e.figure, value: shown, typical: e.typical }), "evidence"));
  }
  return line;
}

/**
 * The guide of the current question, in the panel (``open``) or hidden.
 * @param {boolean} open
 */
function showGuide(open) {
  ui.guideToggle.setAttribute("aria-expanded", String(open));
  ui.guide.hidden = !open;
  if (!open || guide == null) return;
  const parts = [el("h3", t("How to approach this"))];
  if (guide.looking_for) parts.push(el("p", t("What the interviewer looks for: {what}", { what: guide.looking_for })));
  if (guide.points.length) parts.push(el("p", t("Key points:")), list("ul", guide.points));
  if (guide.outline.length) parts.push(el("p", t("A strong answer:")), list("ol", guide.outline));
  if (guide.mistakes.length) parts.push(el("p", t("Common mistakes:")), list("ul", guide.mistakes));
  ui.guide.replaceChildren(...parts);
}

/** @param {any} m an ``answer.feedback`` message (a later one for the same answer replaces it) */
function showFeedback(m) {
  const f = m.figures;
  const parts = [t("You spoke for {time}", { time: clock(f.duration) })];
  if (f.time_to_first_word != null) parts.push(t("started after {s} s", { s: Math.round(f.time_to_first_word) }));
  if (m.cues) {
    const chinese = now.language === "zh";
    parts.push(chinese ? t("{n} characters", { n: f.words }) : f.words === 1 ? t("1 word") : t("{n} words", { n: f.words }));
    parts.push(chinese ? t("{n} filler words (嗯, 呃)", { n: f.fillers })
      : f.fillers === 1 ? t("1 filler word (um, uh)") : t("{n} filler words (um, uh)", { n: f.fillers }));
  }
  const lines = [el("p", parts.join(" · "), "figures-line")];
  const advice = m.advice;
  if (advice?.good) lines.push(tipLine(advice.good, true));
  if (advice?.change.length) {
    const changes = document.createElement("ul");
    changes.className = "advice-change";
    changes.append(...advice.change.map((/** @type {any} */ tip) => tipLine(tip, false)));
    lines.push(el("p", t("To change:"), "advice-head"), changes);
  } else if (advice) {
    lines.push(el("p", t("Nothing to change in what was measured.")));
  }
  if (m.guide?.outline.length) {
    const details = document.createElement("details");
    details.append(el("summary", t("How a strong answer goes")), list("ol", m.guide.outline));
    lines.push(details);
  }
  if (!m.complete) {
    lines.push(el("p", t("Your last words are still being written down: this feedback will update."), "note"));
  }
  ui.feedback.replaceChildren(...lines);
}

/**
 * The language model's review being written (``answer.reviewing``: the reply so far) or
 * finished (``answer.comment``); its advice, when it held up, replaces the rules'.
 * @param {any} m
 */
function showReview(m) {
  if (m.index !== now.index) return;
  let line = ui.feedback.querySelector(".comment");
  if (!line) {
    line = el("p", "", "comment");
    ui.feedback.append(line);
  }
  if (m.type === "answer.reviewing") {
    line.textContent = t("The coach is writing: {text}", { text: m.text });
    return;
  }
  line.textContent = m.text;
  if (m.advice) {
    ui.feedback.querySelectorAll(".advice-good, .advice-change, .advice-head").forEach((n) => n.remove());
    const parts = [];
    if (m.advice.good) parts.push(tipLine(m.advice.good, true));
    if (m.advice.change.length) {
      const changes = document.createElement("ul");
      changes.className = "advice-change";
      changes.append(...m.advice.change.map((/** @type {any} */ tip) => tipLine(tip, false)));
      parts.push(el("p", t("To change:"), "advice-head"), changes);
    }
    ui.feedback.querySelector(".figures-line")?.after(...parts);
  }
}

/**
 * A server message of the interview; false for any other.
 * @param {any} m
 */
export function onInterviewMessage(m) {
  switch (m.type) {
    case "question": showQuestion(m); return true;
    case "interview.phase": showPhase(m); return true;
    case "answer.started":
    case "answer.resumed":
      return true; // the phase that comes with it says what to show
    case "answer.ended":
      if (m.reason !== "skipped") answered?.add(m.index);
      now.reason = m.reason;
      return true;
    case "answer.feedback": showFeedback(m); return true;
    case "answer.reviewing":
    case "answer.comment": showReview(m); return true;
    case "interview.finished":
      clearInterval(timer);
      now.phase = "finished";
      setButtons("finished");
      ui.number.textContent = t("All done");
      ui.question.textContent = t("That was the last question. End the session to see how it went.");
      ui.clock.textContent = "";
      document.getElementById("disconnect")?.focus();
      return true;
    default: return false;
  }
}

/**
 * The session started: the page's way to send control messages. In an interview, the camera
 * check comes first, as a step of its own; the questions start on "Begin the interview".
 * @param {(message: object) => void} sender
 * @param {boolean} interview
 */
export function startInterview(sender, interview) {
  send = sender;
  now.index = -1;
  answered = null;
  setButtons("idle");
  if (interview) {
    ui.practice.hidden = true;
    ui.setup.hidden = false;
    ui.begin.hidden = false;
    ui.begin.disabled = false;
  }
}

/** Whether an interview is going on (leaving the page would interrupt it). */
export function interviewGoing() {
  return send !== null && now.phase !== "finished" && now.index >= 0;
}

/** How many questions were answered (a retake counts once), ``null`` when no interview. */
export function answersGiven() {
  return answered?.size ?? null;
}

/** @param {MediaStream} stream */
export function playVoice(stream) {
  ui.voice.srcObject = stream;
  ui.voice.play().catch(() => {});
}

/** The session ended: the live part of the interview goes. */
export function endInterview() {
  clearInterval(timer);
  send = null;
  now.phase = "idle";
  setButtons("idle");
  ui.panel.hidden = true;
  ui.setup.hidden = true;
  ui.practice.hidden = false;
  showGuide(false);
  ui.voice.srcObject = null;
}

/** @type {[HTMLButtonElement, string][]} */
const CONTROLS = [[ui.done, "answer.done"], [ui.next, "question.next"],
  [ui.retake, "answer.retake"], [ui.repeat, "question.repeat"]];
for (const [button, type] of CONTROLS) {
  button.addEventListener("click", () => send?.({ type, index: now.index }));
}
ui.begin.addEventListener("click", () => {
  ui.begin.disabled = true;
  send?.({ type: "interview.begin" });
});
ui.guideToggle.addEventListener("click", () => {
  showGuide(ui.guideToggle.getAttribute("aria-expanded") !== "true");
});
ui.mode.addEventListener("change", () => { ui.practice.dataset.mode = ui.mode.value; });
ui.language.addEventListener("change", fillRoles);
setButtons("idle");
fetch("/api/interview/roles").then((r) => r.json()).then((body) => {
  roles = body.languages;
  // A language this server cannot transcribe is offered, but not chosen.
  for (const option of ui.language.options) {
    option.disabled = !body.spoken.includes(option.value);
    if (option.disabled) option.textContent += " (" + t("not on this server") + ")";
  }
  fillRoles();
}).catch(() => { ui.mode.value = "open"; ui.practice.dataset.mode = "open"; });
