"""A deploy as a sequence of small named steps behind the host lock (the Kamal model).

``release``: pull → drain → switch → health gate, and on a failed gate an automatic
rollback (switch back → health gate). Every step is logged to the audit trail with its
duration, and each is safe to re-run: pulling a present release is a no-op, draining an
idle worker returns at once, switching to the running release restarts it.

The result is printed as lines VALET parses (``DEPLOY_STATUS=``, ``DEPLOY_TAG=``,
``DEPLOY_IMAGE=``, ``DEPLOY_PREVIOUS_TAG=``, ``DEPLOY_MESSAGE=``); the exit code is 0 only
on success.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import httpx
import msgspec

from ghosthands.deploy.audit import AuditLog, read_audit
from ghosthands.deploy.config import DeployConfig
from ghosthands.deploy.lock import HostLock, LockHeld, LockHolder
from ghosthands.deploy.probes import (
    HealthReport,
    check_health,
    drain_worker,
    schema_mismatch,
    wait_healthy,
)
from ghosthands.deploy.runtime import Runtime, RuntimeFailure
from ghosthands.deploy.state import ReleaseState, load_state, save_state
from ghosthands.logs import get_logger

log = get_logger(__name__)
T = TypeVar("T")

SUCCESS, FAILED, ROLLED_BACK = "success", "failed", "rolled_back"
EXIT_CODES = {SUCCESS: 0, FAILED: 1, ROLLED_BACK: 2}
EXIT_LOCKED = 75  # EX_TEMPFAIL: another deploy runs; try again later


class StepFailed(Exception):
    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


class Outcome(msgspec.Struct):
    status: str
    tag: str | None = None
    image: str | None = None
    previous_tag: str | None = None
    message: str = ""

    def lines(self) -> list[str]:
        return [
            f"DEPLOY_STATUS={self.status}",
            f"DEPLOY_TAG={self.tag or ''}",
            f"DEPLOY_IMAGE={self.image or ''}",
            f"DEPLOY_PREVIOUS_TAG={self.previous_tag or ''}",
            # Why, on one line (a failed step's reason can span several).
            "DEPLOY_MESSAGE=" + " ".join(self.message.split()),
        ]

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


class Deployer:
    """Runs deploy actions on one host. ``say`` receives human progress lines."""

    def __init__(
        self,
        config: DeployConfig,
        runtime: Runtime,
        say: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.config = config
        self.runtime = runtime
        self.say = say
        self.audit: AuditLog | None = None

    # -- plumbing ------------------------------------------------------------------------

    def _step(self, name: str, fn: Callable[[], T], **fields: object) -> T:
        assert self.audit is not None
        shown = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        self.say(f"==> {name} {shown}".rstrip())
        self.audit.write("step_started", step=name, **fields)
        started = time.monotonic()
        try:
            result = fn()
        except (RuntimeFailure, StepFailed, OSError, httpx.HTTPError) as exc:
            ms = round((time.monotonic() - started) * 1000)
            reason = exc.reason if isinstance(exc, StepFailed) else str(exc)
            self.audit.write("step_failed", step=name, error=reason, duration_ms=ms, **fields)
            log.error("deploy_step_failed", step=name, error=reason, duration_ms=ms)
            self.say(f"    FAILED after {ms / 1000:.1f} s: {reason}")
            raise StepFailed(name, reason) from exc
        ms = round((time.monotonic() - started) * 1000)
        self.audit.write("step_finished", step=name, duration_ms=ms, **fields)
        self.say(f"    ok ({ms / 1000:.1f} s)")
        return result

    def _locked(self, action: str, fn: Callable[[], Outcome], tag: str | None = None) -> Outcome:
        self.audit = AuditLog(self.config.audit_log, deploy_id=uuid.uuid4().hex, action=action)
        command = f"ghosthands deploy {action}" + (f" {tag}" if tag else "")
        try:
            with HostLock(self.config.lock_file, command=command, max_age=self.config.lock_max_age):
                self.audit.write("started", tag=tag, runtime=self.runtime.name)
                outcome = fn()
                self.audit.write(
                    "finished",
                    status=outcome.status,
                    tag=outcome.tag,
                    image=outcome.image,
                    previous_tag=outcome.previous_tag,
                    message=outcome.message or None,
                )
                return outcome
        except LockHeld as exc:
            self.audit.write("refused", tag=tag, reason=str(exc))
            raise

    # -- steps ---------------------------------------------------------------------------

    def _drain(self) -> None:
        result = drain_worker(self.config.worker_status_url, self.config.drain_timeout)
        if result.outcome == "no_status_server":
            # Nothing answered on GH_WORKER_PORT: the stop's SIGTERM does the drain (the
            # worker stops claiming and finishes its jobs within its own 30 s).
            self.say("    no worker status server answered; the worker drains on SIGTERM")
        elif result.outcome == "timeout":
            self.say(f"    worker still busy after {result.waited_seconds:.0f} s; stopping it")
            log.warning("deploy_drain_timeout", waited=result.waited_seconds)
        else:
            self.say(f"    worker idle after {result.waited_seconds:.1f} s")

    def _gate(self, tag: str) -> HealthReport:
        started = time.monotonic()
        report = wait_healthy(
            self.config.health_url,
            self.config.health_timeout,
            expect_version=self.runtime.expected_version(tag),
            still_alive=self.runtime.dead_role,
        )
        if not report.ok:
            raise StepFailed("health_gate", report.error or "unhealthy")
        behind = schema_mismatch(self.config.health_url)
        if behind:
            raise StepFailed("health_gate", behind)
        assert self.audit is not None
        # How long the new release took to answer: with the switch, the restart window.
        waited_ms = round((time.monotonic() - started) * 1000)
        self.audit.write("health_first_ok", tag=tag, waited_ms=waited_ms, version=report.version)
        if self.config.settle_seconds:
            # A role that crashes right after its first answer is caught here.
            time.sleep(self.config.settle_seconds)
            dead = self.runtime.dead_role()
            again = check_health(self.config.health_url)
            if dead or not again.ok:
                raise StepFailed("health_gate", dead or again.error or "unhealthy")
        return report

    def _switch_to(self, tag: str, prefix: str = "") -> None:
        self._step(f"{prefix}switch", lambda: self.runtime.switch(tag), tag=tag)
        self._step(f"{prefix}health_gate", lambda: self._gate(tag), tag=tag)

    # -- actions -------------------------------------------------------------------------

    def release(self, tag: str = "latest", *, action: str = "release") -> Outcome:
        """Roll the host to ``tag``; on a failed health gate, back to what ran before."""
        return self._locked(action, lambda: self._release(tag, action), tag=tag)

    def _release(self, tag: str, action: str) -> Outcome:
        state = load_state(self.config.state_file)
        previous = state.current or self.runtime.running_release()
        try:
            if action == "rollback" and self.runtime.available(tag):
                resolved = tag
            else:
                resolved = self._step("pull", lambda: self.runtime.pull(tag), tag=tag)
        except StepFailed as exc:
            return Outcome(FAILED, tag, self.runtime.artefact(tag), previous, str(exc))
        image = self.runtime.artefact(resolved)
        if action != "rollback":
            # The new schema first, touching no role: a failed migration aborts here, the
            # old release still serving (migrations stay compatible with it for one
            # release: expand now, contract in the release after).
            try:
                self._step("migrate", lambda: self.runtime.migrate(resolved), tag=resolved)
            except StepFailed as exc:
                return Outcome(FAILED, resolved, image, previous, str(exc))
        # When re-deploying what runs, the release to fall back on is the one before it.
        fallback = previous if previous != resolved else state.previous
        try:
            self._step("drain", self._drain)
            self._switch_to(resolved)
        except StepFailed as failure:
            if fallback is None or not self.runtime.available(fallback):
                return Outcome(
                    FAILED, resolved, image, previous, f"{failure}; no release to roll back to"
                )
            try:
                self._switch_to(fallback, prefix="rollback_")
            except StepFailed as exc:
                return Outcome(
                    FAILED,
                    resolved,
                    image,
                    previous,
                    f"{failure}; rollback to {fallback} failed too: {exc}",
                )
            return Outcome(
                ROLLED_BACK,
                resolved,
                image,
                fallback,
                f"{failure}; rolled back to {fallback}",
            )
        new_state = ReleaseState(
            current=resolved,
            current_image=image,
            previous=fallback,
            previous_image=self.runtime.artefact(fallback) if fallback else None,
        )
        save_state(self.config.state_file, new_state)
        protect = {v for v in (resolved, fallback) if v}
        self._step("prune", lambda: self.runtime.prune(self.config.keep_releases, protect))
        return Outcome(SUCCESS, resolved, image, fallback, f"{resolved} is serving")

    def rollback(self, to: str | None = None) -> Outcome:
        """Return to the previous release (or ``to``), health-gated like a release."""
        state = load_state(self.config.state_file)
        target = to or state.previous
        if target is None:
            return Outcome(FAILED, None, None, state.current, "no previous release recorded")
        return self.release(target, action="rollback")

    def drain(self) -> Outcome:
        """Stop the worker for maintenance, after it has finished its jobs."""

        def run() -> Outcome:
            self._step("drain", self._drain)
            self._step("stop_worker", self.runtime.stop_worker)
            current = self.runtime.running_release()
            return Outcome(SUCCESS, current, None, None, "worker drained and stopped")

        return self._locked("drain", run)

    def resume(self) -> Outcome:
        """Start the worker again after ``drain``."""

        def run() -> Outcome:
            self._step("start_worker", self.runtime.start_worker)
            return Outcome(SUCCESS, self.runtime.running_release(), None, None, "worker started")

        return self._locked("resume", run)

    # -- read-only -----------------------------------------------------------------------

    def health(self) -> tuple[bool, str]:
        report = check_health(self.config.health_url)
        if not report.ok:
            return False, f"api unhealthy: {self.config.health_url}: {report.error}"
        dead = self.runtime.dead_role()
        if dead:
            return False, f"api healthy (version {report.version}) but {dead}"
        return True, f"healthy: api version {report.version}, worker running"

    def status(self) -> list[str]:
        state = load_state(self.config.state_file)
        report = check_health(self.config.health_url)
        lines = [
            f"DEPLOY_RUNTIME={self.runtime.name}",
            f"DEPLOY_TAG={state.current or self.runtime.running_release() or ''}",
            f"DEPLOY_IMAGE={state.current_image or ''}",
            f"DEPLOY_PREVIOUS_TAG={state.previous or ''}",
            f"DEPLOY_HEALTH={'healthy' if report.ok else 'unhealthy'}",
            f"api health: {self.config.health_url} "
            + (f"200, version {report.version}" if report.ok else str(report.error)),
        ]
        try:
            for role in self.runtime.roles():
                where = f"pid {role.pid}" if role.pid else "no process"
                state_word = "running" if role.running else "STOPPED"
                lines.append(
                    f"{role.role}: {state_word}, {where}, release {role.release or '-'}"
                    + (f" ({role.detail})" if role.detail else "")
                )
        except RuntimeFailure as exc:
            lines.append(f"roles: cannot tell: {exc}")
        holder = _lock_holder(self.config)
        lines.append(f"lock: held by {holder.describe()}" if holder else "lock: free")
        last = [r for r in read_audit(self.config.audit_log) if r.get("event") == "finished"]
        if last:
            r = last[-1]
            lines.append(
                f"last deploy: {r.get('action')} {r.get('tag', '')} -> {r.get('status')} "
                f"at {r.get('time')} by {r.get('user')}@{r.get('host')}"
            )
        return lines


def _lock_holder(config: DeployConfig) -> LockHolder | None:
    try:
        return msgspec.json.decode(config.lock_file.read_bytes(), type=LockHolder)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
