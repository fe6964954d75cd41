"""ICE servers and TURN credentials in coturn's REST scheme, checked against openssl and against
a real coturn ``turnserver`` on loopback."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pydantic
import pytest
from aiortc import RTCPeerConnection
from aiortc.mediastreams import VideoStreamTrack

from loadtest.peer import ClientPeer, StillsTrack
from signaling.ice import ice_servers, rtc_configuration, turn_credential
from signaling.settings import Settings
from tests.conftest import StartServer
from tests.media import blank, require_tool
from tests.redis_server import free_port

RELAY = re.compile(r"a=candidate:\S+ \d+ udp \d+ \S+ \d+ typ relay")


def test_credential_matches_a_known_vector() -> None:
    """base64(HMAC-SHA1(secret, username)); the vector was made with
    ``printf %s 1700000000:interview | openssl dgst -sha1 -hmac north-wind -binary | base64``."""
    assert turn_credential("north-wind", "1700000000:interview") == "lenM7bLPpSfmzPxjO1Yc5LmyQ2U="


def test_credential_matches_openssl_for_any_username() -> None:
    openssl = require_tool("openssl")
    for secret, username in [("s", "1:x"), ("a longer secret", f"1799999999:{'e' * 32}")]:
        digest = subprocess.run(
            [openssl, "dgst", "-sha1", "-hmac", secret, "-binary"],
            input=username.encode(),
            capture_output=True,
            check=True,
        ).stdout
        base64 = subprocess.run(["base64"], input=digest, capture_output=True, check=True)
        assert turn_credential(secret, username) == base64.stdout.decode().strip()


def test_servers_for_a_session() -> None:
    settings = Settings(
        stun_urls="stun:stun.example.org:3478",
        turn_urls="turn:turn.example.org:3478?transport=udp, turns:turn.example.org:443",
        turn_secret="north-wind-blows-cold",
        turn_ttl=3600,
    )
    stun, turn = ice_servers(settings, "ab" * 16, now=1_700_000_000)
    assert stun == {"urls": ["stun:stun.example.org:3478"]}
    assert turn["urls"] == [
        "turn:turn.example.org:3478?transport=udp",
        "turns:turn.example.org:443",
    ]
    assert turn["username"] == f"1700003600:{'ab' * 16}"
    assert turn["credential"] == turn_credential("north-wind-blows-cold", turn["username"])
    assert ice_servers(Settings(), "ab" * 16) == []
    with pytest.raises(pydantic.ValidationError, match="LENS_TURN_SECRET"):
        Settings(turn_urls="turn:turn.example.org")


@pytest.fixture
async def coturn(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """A real coturn with ``use-auth-secret`` on loopback: (TURN URL, its secret)."""
    binary = require_tool("turnserver")
    port, secret = free_port(), "coturn-test-secret"
    process = await asyncio.create_subprocess_exec(
        binary,
        "--listening-ip",
        "127.0.0.1",
        "--relay-ip",
        "127.0.0.1",
        "--listening-port",
        str(port),
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        "--realm",
        "lens.test",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--allow-loopback-peers",
        "--min-port",
        "49200",
        "--max-port",
        "49400",
        "--log-file",
        str(tmp_path / "turn.log"),
        "--pidfile",
        str(tmp_path / "turn.pid"),
        "--no-software-attribute",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(0.5)
    try:
        yield f"turn:127.0.0.1:{port}?transport=udp", secret
    finally:
        process.terminate()
        await process.wait()


async def relay_candidates(servers: list[dict]) -> list[str]:
    pc = RTCPeerConnection(rtc_configuration(servers))
    try:
        pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        return RELAY.findall(pc.localDescription.sdp)
    finally:
        await pc.close()


async def test_both_peers_get_relays_from_coturn(
    coturn: tuple[str, str], start_server: StartServer
) -> None:
    url, secret = coturn
    server = await start_server(turn_urls=url, turn_secret=secret)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions") as response:
            created = await response.json()
        async with http.get(
            f"{server.url}/api/ice-servers", params={"session_id": created["session_id"]}
        ) as response:
            fetched = (await response.json())["ice_servers"]
    servers = created["ice_servers"]
    assert servers[0]["username"].endswith(":" + created["session_id"])
    assert fetched[0]["username"].endswith(":" + created["session_id"])
    assert await relay_candidates(servers), "coturn accepts the browser's credentials"
    peer = ClientPeer(server.url, [StillsTrack([blank()])], session_id=created["session_id"])
    async with aiohttp.ClientSession() as http:
        answer = await peer.connect(http)
    await peer.close()
    assert RELAY.search(answer["sdp"]), "the server's own peer uses the same TURN server"


async def test_wrong_credentials_get_no_relay(coturn: tuple[str, str]) -> None:
    url, _ = coturn
    settings = Settings(turn_urls=url, turn_secret="not-coturns-secret")
    assert await relay_candidates(ice_servers(settings, "c" * 32)) == []
