"""Interview Lens server.

    python server.py [--host H] [--port P]     serve the API and the demo page
    python server.py fetch-models              download and verify model files into the cache

Settings come from ``LENS_*`` environment variables (see ``signaling/settings.py``); the
command-line flags override them.
"""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from analyzers.models import MODELS, ModelRegistry, ModelUnavailable
from signaling.app import create_app
from signaling.settings import Settings

log = logging.getLogger("lens")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="server.py",
        description="Interview Lens media server",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "fetch-models"])
    parser.add_argument("--host", help="address to listen on (LENS_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (LENS_PORT)")
    return parser.parse_args(argv)


def fetch_models(settings: Settings) -> int:
    registry = ModelRegistry(settings.model_dir)
    for model in MODELS.values():
        try:
            path = registry.path(model)
        except ModelUnavailable as exc:
            log.error("%s", exc)
            return 1
        log.info("model %s (%s, %s) ready: %s", model.name, model.license, model.sha256[:12], path)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings(**overrides)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # aiortc and aioice log every packet-level detail at INFO.
    for noisy in ("aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.command == "fetch-models":
        return fetch_models(settings)
    log.info("Interview Lens serving on http://%s:%d", settings.host, settings.port)
    try:
        web.run_app(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            print=None,
            access_log=None,
        )
    except ModelUnavailable as exc:
        log.error("cannot start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
