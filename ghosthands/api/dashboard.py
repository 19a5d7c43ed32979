"""The operator page (``GET /monitoring/dashboard``): the fleet at a glance.

Rendered on the server from the same :class:`~ghosthands.api.metrics.FleetSnapshot`
that feeds ``/monitoring/metrics``: queue by status, workers and their heartbeat age,
failures by error code over 24 hours, cost today. Charts are inline SVG; the page loads
nothing else (its Content-Security-Policy allows no scripts and no network) and reloads
itself every 15 seconds. Every figure carries ``data-figure`` so tools (and the tests)
can read it back.

Like the rest of ``/monitoring/*`` it is unauthenticated and shows nothing secret:
counts, worker ids and host names, error codes and a total in cents; never a job's
input, a user or a URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from ghosthands.api.metrics import FleetSnapshot

REFRESH_SECONDS = 15
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:baseline}
header h1{font-size:18px;margin:0}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:16px;padding:16px}
section{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 2px #0002}
h2{font-size:15px;margin:0 0 12px}
.big{font-size:32px;font-weight:600}
table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:4px 6px;border-bottom:1px solid #eee}
.stale{color:#b3261e;font-weight:600}
.muted{color:#667}
"""


def _bars(chart: str, rows: Iterable[tuple[str, float]], *, color: str, unit: str = "") -> str:
    """A horizontal bar chart as inline SVG; each bar labelled with its value."""
    items = list(rows)
    if not items:
        return f'<p class="muted" data-chart="{escape(chart)}">none</p>'
    top = max((v for _, v in items), default=0) or 1
    height = 24 * len(items) + 4
    parts = [
        f'<svg role="img" data-chart="{escape(chart)}" width="100%" height="{height}" '
        f'viewBox="0 0 400 {height}" preserveAspectRatio="none">'
    ]
    for i, (label, value) in enumerate(items):
        y = 4 + 24 * i
        width = 0 if value <= 0 else max(2.0, 220 * value / top)
        shown = f"{value:g}{unit}"
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(label)}</text>'
            f'<rect x="130" y="{y}" width="{width:.1f}" height="18" fill="{color}" rx="2">'
            f"<title>{escape(label)}: {escape(shown)}</title></rect>"
            f'<text x="{134 + width:.1f}" y="{y + 15}" font-size="12">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _figure(name: str, value: float | int | str) -> str:
    shown = f"{value:g}" if isinstance(value, (int, float)) else value
    return f'<span data-figure="{escape(name)}">{escape(str(shown))}</span>'


def render_dashboard(snap: FleetSnapshot | None, *, stale_seconds: float) -> str:
    if snap is None:
        body = (
            '<main><section><h2>Database unreachable</h2><p data-figure="database">down</p>'
            "<p>The API could not read the fleet's figures. See /monitoring/health.</p>"
            "</section></main>"
        )
        taken = "—"
    else:
        taken = snap.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        body = "<main>" + _queue(snap) + _workers(snap, stale_seconds) + _today(snap)
        body += _failures(snap) + "</main>"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>GhostHands — fleet</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>GhostHands fleet</h1><span class=muted>as of {escape(taken)}; "
        f"refreshes every {REFRESH_SECONDS} s</span></header>{body}</body></html>"
    )


def _queue(snap: FleetSnapshot) -> str:
    depth = snap.queue_depth
    figures = "".join(
        f"<tr><th>{escape(status)}</th><td>{_figure(f'queue.{status}', n)}</td></tr>"
        for status, n in depth.items()
    )
    return (
        "<section><h2>Queue</h2>"
        f'<p><span class="big">{_figure("queue.total", sum(depth.values()))}</span> jobs not '
        f"finished; oldest due pending job waited "
        f"{_figure('queue.oldest_due_seconds', round(snap.oldest_due_pending_seconds, 1))} s</p>"
        + _bars("queue", depth.items(), color="#3b6fd8")
        + f"<table>{figures}</table></section>"
    )


def _workers(snap: FleetSnapshot, stale_seconds: float) -> str:
    rows = []
    for w in snap.workers:
        stale = w.heartbeat_age_seconds > stale_seconds
        rows.append(
            f'<tr data-worker="{escape(w.worker_id)}"><td>{escape(w.worker_id)}</td>'
            f"<td>{escape(w.host or '')}</td><td>{escape(w.status)}</td>"
            f"<td>{_figure(f'worker.{w.worker_id}.jobs', w.current_jobs)}/{w.max_jobs}</td>"
            f'<td class="{"stale" if stale else ""}">'
            f"{_figure(f'worker.{w.worker_id}.heartbeat_age', round(w.heartbeat_age_seconds, 1))}"
            f" s{' (stale)' if stale else ''}</td></tr>"
        )
    live = sum(1 for w in snap.workers if w.heartbeat_age_seconds <= stale_seconds)
    table = (
        "<table><tr><th>worker</th><th>host</th><th>status</th><th>jobs</th>"
        f"<th>heartbeat</th></tr>{''.join(rows)}</table>"
        if rows
        else '<p class="muted">no registered workers</p>'
    )
    return (
        "<section><h2>Workers</h2>"
        f'<p><span class="big">{_figure("workers.live", live)}</span> live of '
        f"{_figure('workers.registered', len(snap.workers))} registered "
        f"(stale after {stale_seconds:g} s)</p>"
        + _bars(
            "heartbeat_age",
            ((w.worker_id, round(w.heartbeat_age_seconds, 1)) for w in snap.workers),
            color="#8a6fd8",
            unit=" s",
        )
        + table
        + "</section>"
    )


def _today(snap: FleetSnapshot) -> str:
    return (
        "<section><h2>Today (UTC)</h2>"
        f'<p>Model spend <span class="big">{_figure("cost.today_cents", snap.cost_cents_today)}'
        "</span> cents</p>"
        + _bars(
            "today",
            [("completed", snap.completed_today), ("failed", snap.failed_today)],
            color="#2e9d5b",
        )
        + f"<p>{_figure('today.completed', snap.completed_today)} completed, "
        f"{_figure('today.failed', snap.failed_today)} failed (jobs created today)</p>"
        "</section>"
    )


def _failures(snap: FleetSnapshot) -> str:
    rows = "".join(
        f"<tr><th>{escape(code)}</th><td>{_figure(f'failures.{code}', n)}</td></tr>"
        for code, n in snap.failures_24h_by_code.items()
    )
    return (
        "<section><h2>Failures by error code, last 24 h</h2>"
        f"<p>{_figure('failures.total', sum(snap.failures_24h_by_code.values()))} jobs failed</p>"
        + _bars("failures", snap.failures_24h_by_code.items(), color="#d8553b")
        + (f"<table>{rows}</table>" if rows else "")
        + "</section>"
    )
