"""Interview Lens server: ``python server.py [--host H] [--port P]``.

Settings come from ``LENS_*`` environment variables (see ``signaling/settings.py``); the
command-line flags override them.
"""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from signaling.app import create_app
from signaling.settings import Settings


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="server.py", description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="address to listen on (LENS_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (LENS_PORT)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings(**overrides)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # aiortc and aioice log every packet-level detail at INFO.
    for noisy in ("aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log = logging.getLogger("lens")
    log.info("Interview Lens serving on http://%s:%d", settings.host, settings.port)
    web.run_app(
        create_app(settings), host=settings.host, port=settings.port, print=None, access_log=None
    )


if __name__ == "__main__":
    main()
