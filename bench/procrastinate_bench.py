"""Procrastinate, the peer baseline: a worker process, or a batch of deferred jobs.

``python -m bench.procrastinate_bench schema DSN``
``python -m bench.procrastinate_bench worker DSN CONCURRENCY``
``python -m bench.procrastinate_bench defer DSN N``
"""

from __future__ import annotations

import sys

import anyio
import procrastinate

DSN = sys.argv[2]
app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=DSN))


@app.task(name="noop")
async def noop() -> None:
    return None


async def main() -> None:
    mode = sys.argv[1]
    async with app.open_async():
        if mode == "schema":
            await app.schema_manager.apply_schema_async()
        elif mode == "worker":
            print("ready", flush=True)
            await app.run_worker_async(
                concurrency=int(sys.argv[3]), wait=True, install_signal_handlers=True
            )
        elif mode == "defer":
            n = int(sys.argv[3])
            for start in range(0, n, 1000):
                await noop.batch_defer_async(*([{}] * min(1000, n - start)))
        elif mode == "defer-one":
            await noop.defer_async()


if __name__ == "__main__":
    anyio.run(main)
