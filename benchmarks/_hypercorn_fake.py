"""The fake under hypercorn, which speaks HTTP/2 over cleartext (uvicorn speaks HTTP/1.1).

    python benchmarks/_hypercorn_fake.py --runs 100000 [--latency 0.02] [--distribution even]

prints its base URL on the first line of stdout, then serves until killed. A client that
connects with HTTP/2 prior knowledge (``httpx.Client(http1=False, http2=True)``) gets
HTTP/2; any other gets HTTP/1.1, from the same server.
"""

from __future__ import annotations

import argparse
import asyncio
import socket

from hypercorn.asyncio import serve
from hypercorn.config import Config

from extend_runs.testing import FakeExtend


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--distribution", default="realistic")
    parser.add_argument("--api-key", default="sk_bench_not_a_real_key")
    args = parser.parse_args()
    fake = FakeExtend(
        args.runs, api_key=args.api_key, latency=args.latency, distribution=args.distribution
    )
    with socket.socket() as probe:  # a free port for hypercorn to bind
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.loglevel = "WARNING"
    config.accesslog = None

    async def run() -> None:
        task = asyncio.ensure_future(serve(fake.asgi_app(), config))  # type: ignore[arg-type]
        for _ in range(200):  # hypercorn has no "started" hook: connect until it answers
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            break
        print(f"http://127.0.0.1:{port}", flush=True)
        await task

    asyncio.run(run())


if __name__ == "__main__":
    main()
