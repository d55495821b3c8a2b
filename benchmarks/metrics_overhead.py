"""What metrics cost a request, and a scrape, with and without the multiprocess mode `lml serve` uses.

    .venv/bin/python -m benchmarks.metrics_overhead
    .venv/bin/python -m benchmarks.metrics_overhead --requests 200000 --processes 4

Each mode runs in a fresh interpreter (prometheus_client picks its mode at import). Per request: what
a hold request records (the HTTP counter and latency histogram of `request_context`, the hold counter);
the figure is the CPU time of that alone. Per scrape: `/metrics`' body as `lml.platform.metrics` makes
it, in multiprocess mode with the files of `--processes` processes. Nothing here fails on timing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

_MEASURE = """
import os, sys, time
from lml.platform.http.request_context import HTTP_LATENCY, HTTP_REQUESTS
from lml.platform.metrics import latest
from lml.seating.infrastructure.metrics import HOLDS_PLACED

requests = int(sys.argv[1])
labels = ("POST", "/v1/shows/{show_id}/holds", "201")
started = time.process_time()
for _ in range(requests):
    HTTP_REQUESTS.labels(*labels).inc()
    HTTP_LATENCY.labels(*labels).observe(0.004)
    HOLDS_PLACED.inc()
per_request = (time.process_time() - started) / requests
started = time.process_time()
scrapes = 50
for _ in range(scrapes):
    body, _ = latest()
per_scrape = (time.process_time() - started) / scrapes
print(f"{per_request * 1e6:.2f} {per_scrape * 1e3:.2f} {len(body)}")
"""


def measure(requests: int, multiproc_dir: str | None, processes: int = 1) -> tuple[float, float, int]:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    if multiproc_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = multiproc_dir
        # The other processes' files, as a served API's siblings leave them.
        for _ in range(processes - 1):
            subprocess.run([sys.executable, "-c", _MEASURE, "1000"], env=env, check=True, capture_output=True)
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(requests)], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {time.strftime('%Y-%m-%d %H:%M')}")
    plain = measure(args.requests, None)
    with tempfile.TemporaryDirectory(prefix="lml-metrics-bench-") as directory:
        multi = measure(args.requests, directory, args.processes)
    print("| mode | per request (CPU) | per scrape (CPU) | scrape body |")
    print("|---|---:|---:|---:|")
    print(f"| one process (REGISTRY) | {plain[0]:.2f} µs | {plain[1]:.2f} ms | {plain[2]:,} bytes |")
    print(f"| multiprocess, {args.processes} processes' files | {multi[0]:.2f} µs | {multi[1]:.2f} ms |"
          f" {multi[2]:,} bytes |")
    print(f"multiprocess / one process, per request: {multi[0] / plain[0]:.2f}")


if __name__ == "__main__":
    main()
