"""bench/wrk.py reads wrk's report, and refuses a run in which any request failed."""

from __future__ import annotations

import pytest

from bench.wrk import parse

REPORT = """Running 5s test @ http://127.0.0.1:4000/jobs
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.61ms    1.20ms  30.02ms   90.00%
    Req/Sec     3.01k   120.00     3.20k    70.00%
  Latency Distribution
     50%   10.50ms
     75%   11.00ms
     90%   12.00ms
     99%  850.00us
  15061 requests in 5.01s, 3.10MB read
Requests/sec:   3006.12
Transfer/sec:    633.52KB
"""


def test_throughput_and_percentiles_in_milliseconds() -> None:
    load = parse(REPORT)
    assert load.rate == pytest.approx(3006.12)
    assert load.p50_ms == pytest.approx(10.5)
    assert load.p99_ms == pytest.approx(0.85)  # microseconds converted
    assert load.requests == 15061


@pytest.mark.parametrize(
    "failure",
    ["  Non-2xx or 3xx responses: 3\n", "  Socket errors: connect 0, read 2, write 0, timeout 0\n"],
)
def test_a_run_with_failed_requests_is_refused(failure: str) -> None:
    with pytest.raises(RuntimeError, match="failed requests"):
        parse(REPORT.replace("Requests/sec", failure + "Requests/sec"))


def test_an_unreadable_report_is_refused() -> None:
    with pytest.raises(RuntimeError, match="could not read"):
        parse("wrk: connection refused\n")
