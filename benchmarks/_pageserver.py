"""A minimal, fast HTTP/1.1 server of processor-run pages, for benchmarks only.

Serves ``GET /processor_runs`` over keep-alive connections with the API's paging,
sorting and single-field filtering (``status``, ``processorType`` or ``source``),
rendering each page straight to bytes so that the server costs as little as possible
next to the clients being measured. Run i has status ``i % 5``, type ``i % 3`` and
source ``i % 7`` (not in the body: the API's summaries have no source field), and
run 0 is the most recently updated.

    python benchmarks/_pageserver.py --runs 100000 [--delay-ms 20] [--rate-limit 10]

prints its base URL on the first line of stdout, then serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import time
from urllib.parse import parse_qsl, urlsplit

STATUSES = ["PENDING", "PROCESSING", "PROCESSED", "FAILED", "CANCELLED"]
TYPES = ["EXTRACT", "CLASSIFY", "SPLITTER"]
SOURCES = ["ADMIN", "BATCH_PROCESSOR_RUN", "PLAYGROUND", "WORKFLOW_CONFIGURATION"]
SOURCES += ["WORKFLOW_RUN", "STUDIO", "API"]
FILTERS = {"status": STATUSES, "processorType": TYPES, "source": SOURCES}
BASE = 1_760_000_000  # epoch seconds of the oldest run

RUN = (
    '{"id":"dpr_%021d","status":"%s","processorId":"dp_SPFYlMKq-2iAOvZaOkLin",'
    '"processorName":"Invoice Extractor","processorVersionId":"dpv_O9r4nDTo_R2oMDbL6C3SA",'
    '"type":"%s","createdAt":"%s","updatedAt":"%s"%s}'
)


def _stamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def render_run(index: int, total: int) -> str:
    updated = BASE + (total - index) * 2
    usage = f',"usage":{{"credits":{index % 9}.5}}' if index % 2 else ""
    return RUN % (
        index,
        STATUSES[index % 5],
        TYPES[index % 3],
        _stamp(updated - 1),
        _stamp(updated),
        usage,
    )


class Pages:
    def __init__(self, total: int) -> None:
        self.total = total

    def body(self, query: dict[str, str]) -> tuple[int, bytes]:
        filters = [(name, query[name]) for name in FILTERS if name in query]
        if len(filters) > 1:
            return 400, b'{"code":"BAD_REQUEST","message":"one filter at most"}'
        step, first = 1, 0
        if filters:
            name, value = filters[0]
            if value not in FILTERS[name]:
                return 400, b'{"code":"BAD_REQUEST","message":"unknown value"}'
            step, first = len(FILTERS[name]), FILTERS[name].index(value)
        count = max(0, (self.total - first + step - 1) // step)
        size = int(query.get("maxPageSize", "10"))
        offset = int(query.get("nextPageToken", "o:0").split(":")[1])
        positions = range(offset, min(offset + size, count))
        ascending = query.get("sortDir") == "asc"
        indices = [
            first + step * (count - 1 - position if ascending else position)
            for position in positions
        ]
        runs = ",".join(render_run(index, self.total) for index in indices)
        token = f',"nextPageToken":"o:{offset + size}"' if offset + size < count else ""
        return 200, f'{{"success":true,"processorRuns":[{runs}]{token}}}'.encode()


class Server:
    def __init__(self, pages: Pages, delay: float, rate_limit: float) -> None:
        self.pages = pages
        self.delay = delay
        self.rate_limit = rate_limit
        self.recent: collections.deque[float] = collections.deque()

    def limited(self) -> bool:
        if not self.rate_limit:
            return False
        now = time.monotonic()
        while self.recent and self.recent[0] <= now - 1.0:
            self.recent.popleft()
        if len(self.recent) >= self.rate_limit:
            return True
        self.recent.append(now)
        return False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1].decode()
                url = urlsplit(target)
                if self.delay:
                    await asyncio.sleep(self.delay)
                if url.path != "/processor_runs":
                    status, body = 404, b'{"code":"NOT_FOUND","message":"no such path"}'
                elif self.limited():
                    status, body = 429, b'{"code":"RATE_LIMIT_EXCEEDED","retryable":true}'
                else:
                    status, body = self.pages.body(dict(parse_qsl(url.query)))
                extra = b"Retry-After: 1\r\n" if status == 429 else b""
                writer.write(
                    b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                    b"%s\r\n%s" % (status, len(body), extra, body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=float, default=0.0)
    args = parser.parse_args()
    server = Server(Pages(args.runs), args.delay_ms / 1000, args.rate_limit)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    async with listener:
        await listener.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
