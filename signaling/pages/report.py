"""The report as a page a person reads at a glance: headline figures, timelines, the expression
distribution and a talk/pause bar, as inline SVG (no scripts, no external assets)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict
from html import escape
from typing import Any

from analyzers.session.report import Report
from signaling.pages.progress import compared_section
from signaling.pages.review import review_section

WIDTH, PAD = 760, 40
MISSING = "\u2013"  # an en dash, for figures the session did not produce
COLOURS = {
    "face_visible": "#9db4d9",
    "eye_contact": "#1f8a4c",
    "talk": "#2f6fed",
    "rms_dbfs": "#b25e09",
    "pitch_hz": "#7b3fb5",
    "yaw": "#2f6fed",
    "pitch": "#c0392b",
    "roll": "#5b6475",
    "brightness": "#d4a017",
    "face_height": "#2f6fed",
    "shoulder_tilt": "#5b6475",
}
EXPRESSION_COLOURS = {
    "happy": "#1f8a4c",
    "neutral": "#8a94a6",
    "surprise": "#2f6fed",
    "sad": "#5b6fb5",
    "angry": "#c0392b",
    "fear": "#b25e09",
    "disgust": "#7b3fb5",
}


def _pct(value: float | None) -> str:
    return MISSING if value is None else f"{round(value * 100)} %"


def _num(value: float | None, unit: str = "", digits: int = 0) -> str:
    return MISSING if value is None else f"{value:.{digits}f}{unit}"


def _when(ts: float | None) -> str:
    if ts is None:
        return MISSING
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def line_chart(
    title: str,
    t: list[float],
    series: dict[str, list[float | None]],
    low: float,
    high: float,
    unit: str,
    areas: frozenset[str] = frozenset(),
    height: int = 110,
) -> str:
    """Steps over the session, one per timeline bin (filled for the series named in
    ``areas``); gaps where a value is missing."""
    if not t:
        return ""
    step = t[1] - t[0] if len(t) > 1 else 1.0
    span = max(t[-1] + step, 1e-9)
    top = 20
    inner_w, inner_h = WIDTH - 2 * PAD, height - 40

    def x(ts: float) -> float:
        return PAD + inner_w * ts / span

    def y(v: float) -> float:
        return top + inner_h * (1 - (min(max(v, low), high) - low) / (high - low))

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'class="chart" data-x0="{PAD}" data-x1="{WIDTH - PAD}" data-span="{span:.3f}" '
        f'data-top="{top}" data-bottom="{top + inner_h}">',
        f'<text x="{PAD}" y="10" class="chart-title">{escape(title)}</text>',
        f'<line x1="{PAD}" y1="{top + inner_h}" x2="{WIDTH - PAD}" y2="{top + inner_h}" '
        'class="axis"/>',
        f'<text x="{PAD - 4}" y="{y(high) + 4:.1f}" class="tick" text-anchor="end">'
        f"{high:g}{unit}</text>",
        f'<text x="{PAD - 4}" y="{y(low):.1f}" class="tick" text-anchor="end">{low:g}{unit}</text>',
    ]
    for name, values in series.items():
        colour = COLOURS.get(name, "#333")
        runs: list[list[tuple[float, float]]] = [[]]
        for ts, v in zip(t, values, strict=False):
            if v is None:
                runs.append([])
            else:
                runs[-1] += [(x(ts), y(v)), (x(ts + step), y(v))]
        for run in (r for r in runs if r):
            points = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
            if name in areas:
                base = y(low)
                parts.append(
                    f'<polygon points="{run[0][0]:.1f},{base:.1f} {points} '
                    f'{run[-1][0]:.1f},{base:.1f}" fill="{colour}" opacity="0.6"/>'
                )
            else:
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{colour}" '
                    'stroke-width="1.6"/>'
                )
    minutes = span / 60
    parts.append(
        f'<text x="{WIDTH - PAD}" y="{height - 4}" class="tick" text-anchor="end">'
        f'{minutes:.1f} min</text><text x="{PAD}" y="{height - 4}" class="tick">0</text>'
    )
    legend_x = WIDTH - PAD
    for name in reversed(list(series)):
        label = name.replace("_", " ")
        legend_x -= 8 * len(label) + 18
        parts.append(
            f'<rect x="{legend_x}" y="2" width="10" height="8" '
            f'fill="{COLOURS.get(name, "#333")}"/><text x="{legend_x + 13}" y="10" '
            f'class="tick">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar(title: str, shares: dict[str, float], colours: dict[str, str]) -> str:
    """One horizontal bar split into shares (0..1) with a legend."""
    inner = WIDTH - 2 * PAD
    parts = [
        f'<svg viewBox="0 0 {WIDTH} 56" role="img" aria-label="{escape(title)}" '
        f'class="chart"><text x="{PAD}" y="10" class="chart-title">{escape(title)}</text>'
    ]
    x = float(PAD)
    legend = []
    for name, share in shares.items():
        if share <= 0:
            continue
        w = inner * share
        colour = colours.get(name, "#8a94a6")
        parts.append(
            f'<rect x="{x:.1f}" y="16" width="{w:.1f}" height="18" fill="{colour}">'
            f"<title>{escape(name)} {share:.0%}</title></rect>"
        )
        legend.append(f'<tspan fill="{colour}">■</tspan> {escape(name)} {share:.0%}')
        x += w
    parts.append(f'<text x="{PAD}" y="50" class="tick">{"  ".join(legend)}</text></svg>')
    return "".join(parts)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def transcript_section(report: Report) -> str:
    """What was said, line by line with its time; filled pauses and discourse fillers marked
    ``filler``, hedges ``hedge``."""
    if report.transcript is None:
        return ""
    if not report.transcript:
        body = '<p class="note">No speech was transcribed.</p>'
    else:
        lines = []
        for utterance in report.transcript:
            joiner = "" if utterance.language.startswith(("zh", "cmn")) else " "
            words = joiner.join(
                f'<mark class="{"filler" if w.filler else "hedge"}" data-t="{w.start}" title="'
                f'{escape(w.filler + " filler" if w.filler else "hedge")}">{escape(w.word)}</mark>'
                if w.filler or w.hedge
                else escape(w.word)
                for w in utterance.words
            )
            lines.append(
                f'<li data-t="{utterance.start}"><time>{_clock(utterance.start)}</time> '
                f"<span>{words}</span></li>"
            )
        body = f'<ol class="transcript">{"".join(lines)}</ol>'
    missing = report.quality.transcript_seconds_missing
    note = (
        f'<p class="note">{missing:.0f} s of speech could not be transcribed in time.</p>'
        if missing
        else ""
    )
    legend = (
        '<p class="note"><mark class="filler">filler</mark> <mark class="hedge">hedge</mark></p>'
    )
    return f'<section aria-label="Transcript"><h2>What you said</h2>{legend}{body}{note}</section>'


def render_report(report: Report, compared: Sequence[dict[str, Any]] = ()) -> str:
    """The page for ``report``, with how it ``compared`` with the person's earlier sessions;
    the report's JSON is embedded for scripts that want it."""
    s = report.summary
    tl = report.timeline
    t = tl.t
    expression = s.expression or {}
    pauses = s.pauses or {}
    rate = s.speaking_rate or {}
    pitch = s.pitch or {}
    loudness = s.loudness or {}
    arousal = s.arousal or {}
    cards = [
        ("Eye contact", _pct(s.eye_contact_ratio), "of the time your face was in view"),
        ("Head stability", _pct(s.head_stability), "100 % is perfectly still"),
        ("Blinks", _num(s.blinks_per_min, " /min"), "15-20 per minute is typical"),
        ("Mostly", expression.get("dominant") or MISSING, "facial expression"),
        ("Talking", _pct(s.talk_ratio), "of the session"),
        (
            "Pauses",
            str(pauses.get("count", MISSING)),
            f"average {_num(pauses.get('mean_s'), ' s', 1)}",
        ),
        (
            "Speech rate",
            _num(rate.get("wpm"), " wpm"),
            f"{'counted from your words' if rate.get('wpm_from') == 'words' else 'estimated'}"
            f" over your turns; articulation {_num(rate.get('articulation_rate'), ' syll/s', 1)}",
        ),
        (
            "Pitch",
            _num(pitch.get("mean_hz"), " Hz"),
            f"varies {_num(pitch.get('std_semitones'), ' semitones', 1)}",
        ),
        ("Voice", arousal.get("label") or MISSING, "vocal arousal: pitch and loudness variation"),
        (
            "Loudness",
            _num(loudness.get("mean_dbfs"), " dBFS"),
            f"varies {_num(loudness.get('std_db'), ' dB', 1)}",
        ),
    ]
    if s.framing is not None:
        issues = {k: v for k, v in s.framing["issues"].items() if v >= 0.1}
        worst = sorted(issues.items(), key=lambda kv: -kv[1])[:2]
        cards.append(
            (
                "Camera and light",
                "good" if not worst else worst[0][0].replace("_", " "),
                ", ".join(f"{k.replace('_', ' ')} {_pct(v)} of the time" for k, v in worst)
                or "framed and lit well",
            )
        )
    if s.posture is not None:
        p = s.posture
        cards.append(
            (
                "Posture",
                f"slumped {_pct(p['slumped_ratio'])}" if p["slumped_ratio"] else "upright",
                f"shoulders tilted {_num(p['shoulder_tilt'], '°', 1)} on average; hand over the "
                f"face {p['hand_over_face_episodes']} time(s)",
            )
        )
    if s.language is not None:
        words = s.language
        top = ", ".join(f"{w} ({n})" for w, n in words["top_fillers"]) or "none"
        cards += [
            (
                "Filler words",
                _num(words["fillers_per_min"], " /min", 1),
                f"{words['fillers']} in all: {top}",
            ),
            (
                "Hedges",
                str(words["hedges"]),
                ", ".join(f"{w} ({n})" for w, n in words["top_hedges"]) or "none",
            ),
            (
                "Longest answer",
                _num(words["longest_monologue_s"], " s"),
                f"{words['words']} words in all",
            ),
        ]
    charts = []
    if tl.video is not None:
        video = tl.video
        charts.append(
            line_chart(
                "Face in view and eye contact",
                t,
                {"face_visible": video.face_visible, "eye_contact": video.eye_contact},
                0,
                1,
                "",
                areas=frozenset({"face_visible"}),
            )
        )
        charts.append(
            line_chart(
                "Head pose (degrees)",
                t,
                {"yaw": video.yaw, "pitch": video.pitch, "roll": video.roll},
                -45,
                45,
                "°",
            )
        )
        if any(v is not None for v in video.brightness):
            charts.append(
                line_chart(
                    "Light on your face and your size in the picture",
                    t,
                    {"brightness": video.brightness, "face_height": video.face_height},
                    0,
                    1,
                    "",
                )
            )
        if any(v is not None for v in video.shoulder_tilt):
            charts.append(
                line_chart(
                    "Shoulder tilt (degrees)",
                    t,
                    {"shoulder_tilt": video.shoulder_tilt},
                    -20,
                    20,
                    "°",
                )
            )
    if tl.audio is not None:
        audio = tl.audio
        charts.append(
            line_chart("Speaking", t, {"talk": audio.talk}, 0, 1, "", areas=frozenset({"talk"}))
        )
        charts.append(line_chart("Loudness", t, {"rms_dbfs": audio.rms_dbfs}, -60, 0, " dB"))
        charts.append(line_chart("Pitch", t, {"pitch_hz": audio.pitch_hz}, 50, 400, " Hz"))
    if expression.get("distribution"):
        charts.append(bar("Expression", expression["distribution"], EXPRESSION_COLOURS))
    if s.talk_ratio is not None:
        talk = s.talk_ratio
        charts.append(
            bar(
                "Talking and silence",
                {"talking": talk, "silent": 1 - talk},
                {"talking": "#2f6fed", "silent": "#d5dae3"},
            )
        )
    card_html = "".join(
        f'<div class="card"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div><div class="note">{escape(note)}</div></div>'
        for label, value, note in cards
    )
    quality_rows = "".join(
        f"<tr><th>{escape(k.replace('_', ' '))}</th><td>{escape(str(v))}</td></tr>"
        for k, v in asdict(report.quality).items()
    )
    minutes = report.duration / 60
    when = _when(report.started_at or report.created_at)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Interview Lens report {escape(report.session_id[:8])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; padding: 1rem; background: #f6f7f9;
  color: #1d2330; }}
main {{ max-width: 820px; margin: 0 auto; }}
h1 {{ font-size: 1.5rem; margin: 0 0 .25rem; }} .meta {{ color: #5b6475; margin: 0 0 1rem; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
  gap: .5rem; }}
.card {{ background: #fff; border-radius: 10px; padding: .6rem .8rem;
  box-shadow: 0 1px 3px rgb(0 0 0 / 8%); }}
.label {{ font-size: .8rem; color: #5b6475; }} .value {{ font-size: 1.35rem; font-weight: 650; }}
.note {{ font-size: .75rem; color: #5b6475; }}
section {{ background: #fff; border-radius: 10px; padding: .8rem; margin-top: 1rem;
  box-shadow: 0 1px 3px rgb(0 0 0 / 8%); }}
.chart {{ width: 100%; height: auto; display: block; margin: .4rem 0; }}
.chart-title {{ font-size: 11px; font-weight: 600; fill: #1d2330; }}
.tick {{ font-size: 10px; fill: #5b6475; }} .axis {{ stroke: #c9ced8; }}
table {{ border-collapse: collapse; font-size: .9rem; }}
th {{ text-align: left; font-weight: 500; color: #5b6475; padding: .15rem 1rem .15rem 0; }}
.transcript {{ list-style: none; padding: 0; margin: 0; line-height: 1.5; }}
.transcript time {{ color: #5b6475; font-variant-numeric: tabular-nums; margin-right: .4rem; }}
mark.filler {{ background: #fde2b8; }} mark.hedge {{ background: #dce6fb; }}
.change[data-improved="true"] {{ color: #1b7a3d; }}
.change[data-improved="false"] {{ color: #b3261e; }}
</style></head>
<body><main>
<h1>Interview report</h1>
<p class="meta">Session {escape(report.session_id)} · {escape(when)} · {minutes:.1f} min ·
ended: {escape(report.end_reason)}</p>
<div class="cards">{card_html}</div>
{review_section(report)}
{compared_section(compared)}
<section aria-label="Timelines"><h2>Over the session</h2>{"".join(charts)}</section>
{transcript_section(report)}
<section aria-label="Data quality"><h2>Data quality</h2><table>{quality_rows}</table>
<p class="note"><a href="?format=json">This report as JSON</a></p></section>
<script type="application/json" id="report-data">{escape(json.dumps(report.to_dict()))}</script>
</main></body></html>"""
