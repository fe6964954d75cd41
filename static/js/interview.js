// Interview practice on the demo page: the choice of role, language and length before
// starting, then each question with its think and answer clock, the person's controls and
// each answer's feedback; the verdict when the session ends. Question text, answers and a
// language model's words are shown as text, never as HTML.
import { $ } from "./dom.js";

/**
 * @typedef {{ role: string, title: string, questions: number }} RoleSet
 * @typedef {{ text: string, evidence: { question: number } }} Point
 */

const ui = {
  practice: $("practice"),
  mode: /** @type {HTMLSelectElement} */ ($("mode")),
  role: /** @type {HTMLSelectElement} */ ($("role")),
  language: /** @type {HTMLSelectElement} */ ($("language")),
  count: /** @type {HTMLSelectElement} */ ($("count")),
  panel: $("interview"),
  number: $("question-number"),
  question: $("question"),
  clock: $("answer-clock"),
  done: /** @type {HTMLButtonElement} */ ($("answer-done")),
  next: /** @type {HTMLButtonElement} */ ($("question-next")),
  retake: /** @type {HTMLButtonElement} */ ($("answer-retake")),
  repeat: /** @type {HTMLButtonElement} */ ($("question-repeat")),
  feedback: $("answer-feedback"),
  verdict: $("verdict"),
  strengths: $("strengths"),
  workOn: $("work-on"),
  voice: /** @type {HTMLAudioElement} */ ($("interviewer")),
};

/** @type {Record<string, RoleSet[]>} */
let roles = {};
/** @type {((message: object) => void) | null} */
let send = null;
let clockTimer = 0;
let phase = "idle";
let lastIndex = -1;
/** @type {Set<number> | null} the questions answered this session; null while it is no interview */
let answered = null;

const ENDED = {
  silence: "You paused, so the answer ended.",
  time: "Time is up for this answer.",
  done: "Answer ended.",
  skipped: "Skipped.",
};

/** @param {number} s */
function clock(s) {
  const whole = Math.max(0, Math.round(s));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function fillRoles() {
  const sets = roles[ui.language.value] ?? [];
  ui.role.replaceChildren(...sets.map((set) => {
    const option = document.createElement("option");
    option.value = set.role;
    option.textContent = set.role === "general" ? "General questions" : set.title;
    return option;
  }));
}

/** The options of POST /api/sessions for the chosen practice (``null``: no interview). */
export function interviewOptions() {
  if (ui.mode.value !== "interview") return null;
  return {
    interview: { role: ui.role.value || "general", language: ui.language.value, count: Number(ui.count.value) },
    ...(ui.language.value === "zh" ? { language: "cmn" } : {}),
  };
}

/** @param {string} name */
function setPhase(name) {
  phase = name;
  const answering = name === "think" || name === "answer";
  ui.done.disabled = !answering;
  ui.retake.disabled = !(answering || name === "answered");
  ui.repeat.disabled = !(name === "listen" || name === "think");
  ui.next.disabled = name === "idle" || name === "finished";
}

/**
 * A countdown (think) or a count up against the answer time.
 * @param {string} name
 * @param {number} seconds
 * @param {number} [delay] seconds before it starts (the question being said)
 */
function runClock(name, seconds, delay = 0) {
  clearInterval(clockTimer);
  const start = performance.now() / 1000 + delay;
  const tick = () => {
    const now = performance.now() / 1000;
    if (now < start) {
      ui.clock.dataset.phase = "listen";
      ui.clock.textContent = "Listen to the question…";
      return;
    }
    const gone = now - start;
    if (name === "think") {
      ui.clock.dataset.phase = "think";
      ui.clock.textContent = gone < seconds
        ? `Take a moment to think: ${Math.ceil(seconds - gone)} s, or just start talking`
        : "Start whenever you are ready";
    } else {
      ui.clock.dataset.phase = gone > seconds * 0.85 ? "late" : "answer";
      ui.clock.textContent = `Answering ${clock(gone)} of ${clock(seconds)}`;
    }
  };
  tick();
  clockTimer = window.setInterval(tick, 250);
}

/** @param {any} m a ``question`` message */
function showQuestion(m) {
  answered ??= new Set();
  ui.panel.hidden = false;
  ui.practice.hidden = true;
  ui.number.textContent = `Question ${m.index + 1} of ${m.of}${m.attempt > 1 ? ` · try ${m.attempt}` : ""}`;
  ui.question.textContent = m.text;
  if (m.index !== lastIndex) ui.feedback.replaceChildren();
  lastIndex = m.index;
  setPhase(m.speaking_seconds > 0 ? "listen" : "think");
  runClock("think", m.think_seconds, m.speaking_seconds);
  window.setTimeout(() => { if (phase === "listen") setPhase("think"); }, m.speaking_seconds * 1000);
  ui.question.focus();
}

/** @param {any} m an ``answer.feedback`` message */
function showFeedback(m) {
  const f = m.figures;
  const parts = [`You spoke for ${clock(f.duration)}`];
  if (f.time_to_first_word != null) parts.push(`started after ${Math.round(f.time_to_first_word)} s (5 s or less is typical)`);
  if (m.cues) {
    // With a transcript: what the words say.
    parts.push(`${f.words} words`);
    if (f.words_per_min != null) parts.push(`${Math.round(f.words_per_min)} words a minute (120-160 is conversational)`);
    parts.push(`${f.fillers} filler word${f.fillers === 1 ? "" : "s"} (um, uh)`);
  }
  const line = document.createElement("p");
  line.textContent = parts.join(" · ");
  const lines = [line];
  if (m.cues) {
    const story = Object.entries(m.cues.star).filter(([, found]) => found).map(([part]) => part);
    const cue = document.createElement("p");
    cue.textContent = `Story parts heard: ${story.join(", ") || "none"}; numbers given: ${m.cues.numbers}.`;
    lines.push(cue);
  }
  ui.feedback.replaceChildren(...lines);
}

/** @param {any} m an ``answer.comment`` message (a language model's words: text only) */
function showComment(m) {
  const line = document.createElement("p");
  line.className = "comment";
  line.textContent = m.text;
  ui.feedback.append(line);
}

/**
 * A server message of the interview; false for any other.
 * @param {any} m
 */
export function onInterviewMessage(m) {
  switch (m.type) {
    case "question": showQuestion(m); return true;
    case "answer.started":
      setPhase("answer");
      runClock("answer", Number(ui.clock.dataset.limit ?? 120));
      return true;
    case "answer.ended":
      if (m.reason !== "skipped") answered?.add(lastIndex);
      clearInterval(clockTimer);
      setPhase("answered");
      ui.clock.dataset.phase = "done";
      ui.clock.textContent = `${ENDED[m.reason] ?? "Answer ended."} Next question when you are ready.`;
      ui.next.focus();
      return true;
    case "answer.feedback": showFeedback(m); return true;
    case "answer.comment": showComment(m); return true;
    case "interview.finished":
      clearInterval(clockTimer);
      setPhase("finished");
      ui.number.textContent = "All done";
      ui.question.textContent = "That was the last question. End the session to see how it went.";
      ui.clock.textContent = "";
      document.getElementById("disconnect")?.focus();
      return true;
    default: return false;
  }
}

/**
 * Remember each question's answer time for the clock (the question message carries it).
 * @param {any} m
 */
export function noteAnswerTime(m) {
  if (m.type === "question") ui.clock.dataset.limit = String(m.answer_seconds);
}

/**
 * The session started: the page's way to send control messages, and where the voice plays.
 * @param {(message: object) => void} sender
 */
export function startInterview(sender) {
  send = sender;
  lastIndex = -1;
  answered = null;
  ui.verdict.hidden = true;
  setPhase("idle");
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

/**
 * The session ended: clear the live part, and show the verdict of its report (if any).
 * @param {string | null} reportUrl
 */
export async function endInterview(reportUrl) {
  clearInterval(clockTimer);
  send = null;
  setPhase("idle");
  ui.panel.hidden = true;
  ui.practice.hidden = false;
  ui.voice.srcObject = null;
  if (!reportUrl) return;
  try {
    const response = await fetch(reportUrl);
    if (!response.ok) return;
    const report = await response.json();
    showVerdict(report.interview?.verdict);
  } catch { /* the report link is still there */ }
}

/** @param {{ strengths: Point[], work_on: Point[] } | undefined} verdict */
function showVerdict(verdict) {
  if (!verdict) return;
  /** @param {Point[]} points @param {string} none */
  const items = (points, none) => (points.length ? points : [{ text: none }]).map((p) => {
    const li = document.createElement("li");
    li.textContent = p.text;
    return li;
  });
  ui.strengths.replaceChildren(...items(verdict.strengths, "Nothing stood out yet: answer a few more questions."));
  ui.workOn.replaceChildren(...items(verdict.work_on, "Nothing to fix in what was measured."));
  ui.verdict.hidden = false;
  ui.verdict.focus();
}

/** @type {[HTMLButtonElement, string][]} */
const CONTROLS = [[ui.done, "answer.done"], [ui.next, "question.next"],
  [ui.retake, "answer.retake"], [ui.repeat, "question.repeat"]];
for (const [button, type] of CONTROLS) button.addEventListener("click", () => send?.({ type }));
ui.mode.addEventListener("change", () => { ui.practice.dataset.mode = ui.mode.value; });
ui.language.addEventListener("change", fillRoles);
setPhase("idle");
fetch("/api/interview/roles").then((r) => r.json()).then((body) => {
  roles = body.languages;
  // A language this server cannot transcribe is offered, but not chosen.
  for (const option of ui.language.options) {
    option.disabled = !body.spoken.includes(option.value);
    if (option.disabled) option.textContent += " (not on this server)";
  }
  fillRoles();
}).catch(() => { ui.mode.value = "open"; ui.practice.dataset.mode = "open"; });
