"""GET /metrics after a real session: Prometheus text with the counters a capacity dashboard
needs, agreeing with what the client saw."""

from __future__ import annotations

import asyncio

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from loadtest.peer import ClientPeer, StillsTrack
from tests.conftest import RunningServer
from tests.media import astronaut, place


async def scrape(server: RunningServer) -> dict[tuple[str, tuple], float]:
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as response:
        assert response.status == 200 and response.content_type == "text/plain"
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_follow_a_session(server: RunningServer) -> None:
    peer = ClientPeer(server.url, [StillsTrack([place(astronaut())])])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    await peer.wait_for(lambda m: m["type"] == "video.frame" and m["t"] >= 1.0)
    await peer.wait_for(lambda m: m["type"] == "posture", 20, "a 'posture'")
    live = await scrape(server)
    assert live[("lens_posture_samples_total", (("outcome", "measured"),))] >= 1
    assert live[("lens_sessions", ())] == 1
    assert live[("lens_peers", (("state", "active"),))] == 1
    assert live[("lens_frames_analysed_total", ())] >= 4
    assert live[("lens_frames_received_total", ())] >= live[("lens_frames_analysed_total", ())]
    assert live[("lens_analysis_seconds_count", (("kind", "video"),))] >= 4
    assert live[("lens_event_loop_lag_seconds_count", ())] >= 1
    assert ("lens_channel_backlog_bytes", ()) in live
    assert live[("lens_errors_total", (("kind", "analysis"),))] == 0
    await peer.close()
    for _ in range(100):
        after = await scrape(server)
        if after[("lens_sessions", ())] == 0:
            break
        await asyncio.sleep(0.05)
    assert after[("lens_sessions_closed_total", (("reason", "channel_closed"),))] == 1
    analysed = len(peer.of_type("video.frame"))
    assert after[("lens_frames_analysed_total", ())] >= analysed, "closed sessions still count"
