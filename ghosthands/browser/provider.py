"""One Chromium per worker, one isolated context per job, recovered after crashes.

:class:`ChromiumProvider` implements :class:`ghosthands.jobs.contract.BrowserProvider`.
Enter it once for the worker's lifetime; it owns the Playwright driver, the browser
process and the network guard's proxy (a task in its own task group). Each
``session(job)`` opens a fresh ``BrowserContext`` (no cookies, cache or storage shared
between jobs; service workers blocked) with one page, and closes it afterwards whatever
happened, so hundreds of jobs leave nothing behind.

Crashes: a job runs its browser work through :meth:`BrowserSession.run`. When the
renderer crashes or the whole browser dies, the session throws the context away,
relaunches the browser if it is gone, and runs the work again from the start, at most
``MAX_RECOVERIES`` times, then fails with ``browser_crashed``. Work that has already
clicked a submit button is never re-run (that could submit an application twice).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio

from ghosthands.browser.guard import GuardBlocked, NetworkGuard, NetworkPolicy
from ghosthands.config import ConfigError, Settings
from ghosthands.jobs.contract import JobFailure, JobSpec
from ghosthands.jobs.errors import ErrorCode
from ghosthands.logs import get_logger

log = get_logger(__name__)

T = TypeVar("T")

MAX_RECOVERIES = 2

#: A closed network: no background fetches, updates, sync, QUIC, or WebRTC over UDP
#: that would bypass the guard proxy.
LAUNCH_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--disable-client-side-phishing-detection",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--metrics-recording-only",
    "--disable-dev-shm-usage",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions",
)

#: Where a system Chromium usually lives, tried after Playwright's own download.
SYSTEM_CHROMIUMS = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome-stable",
    "/usr/bin/google-chrome",
    "/snap/bin/chromium",
)


class BrowserUnavailable(ConfigError):
    """No usable Chromium (or the chosen engine is not installed)."""


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def find_executable(settings: Settings, bundled: str | None) -> str | None:
    """The Chromium to launch: the setting, else Playwright's download, else the system's.

    Returns None to let Playwright use its own download (``bundled`` exists).
    """
    if settings.browser_executable:
        path = settings.browser_executable
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise BrowserUnavailable("GH_BROWSER_EXECUTABLE", f"{path} is not an executable file")
        return path
    if bundled and os.path.isfile(bundled):
        return None
    for candidate in (*SYSTEM_CHROMIUMS, shutil.which("chromium"), shutil.which("chrome")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise BrowserUnavailable(
        "GH_BROWSER_EXECUTABLE",
        "no Chromium found: run `playwright install chromium`, install the system "
        "chromium package, or set this to a Chromium executable",
    )


def _engine(name: str) -> Any:
    """The ``async_playwright`` factory of the chosen engine."""
    if name == "patchright":
        try:
            from patchright.async_api import (  # type: ignore[import-not-found,unused-ignore]
                async_playwright as patchright_factory,
            )
        except ImportError:
            raise BrowserUnavailable(
                "GH_BROWSER_ENGINE",
                "patchright is chosen but not installed (pip install patchright)",
            ) from None
        return patchright_factory
    from playwright.async_api import async_playwright

    return async_playwright


def page_gone(exc: BaseException) -> bool:
    """A Playwright error that means the page, its context or the browser is gone (a
    crash, a close, a lost connection): never swallowed as a problem of the page, so the
    session can recover or the job can fail as it should. The one such check."""
    text = str(exc).lower()
    return "crash" in text or "closed" in text or "disconnected" in text


def _domain(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class ChromiumProvider:
    """The worker's browser. ``async with ChromiumProvider(settings) as provider``."""

    def __init__(
        self,
        settings: Settings,
        *,
        policy: NetworkPolicy | None = None,
        store: Any = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or NetworkPolicy.from_settings(settings)
        #: A :class:`ghosthands.db.credentials.CredentialStore`, or None.
        self.store = store
        self.guard = NetworkGuard(self.policy)
        self._stack: AsyncExitStack | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._generation = 0
        self._launch_lock = anyio.Lock()
        self.launches = 0
        self.executable: str | None = None

    async def __aenter__(self) -> ChromiumProvider:
        factory = _engine(self.settings.browser_engine)
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            tg = await stack.enter_async_context(anyio.create_task_group())
            stack.callback(tg.cancel_scope.cancel)  # runs before the group exits
            await tg.start(self.guard.serve)
            self._playwright = await factory().start()
            stack.push_async_callback(self._stop_playwright)
            self.executable = find_executable(
                self.settings, self._playwright.chromium.executable_path
            )
            await self._launch()
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()

    async def _stop_playwright(self) -> None:
        with anyio.CancelScope(shield=True), anyio.move_on_after(15):
            if self._browser is not None:
                try:
                    await self._browser.close()
                except Exception as exc:  # already dead: nothing to close
                    log.debug("browser_close_failed", error=str(exc))
                self._browser = None
            await self._playwright.stop()

    async def _launch(self) -> None:
        options: dict[str, Any] = {
            "headless": self.settings.headless,
            "args": list(LAUNCH_ARGS),
            "proxy": {"server": self.guard.proxy_url},
            # Playwright's default passes --no-sandbox; keep the sandbox unless we are root.
            "chromium_sandbox": not running_as_root(),
            "handle_sigint": False,
            "handle_sigterm": False,
            "handle_sighup": False,
            "timeout": 30_000,
        }
        if self.executable:
            options["executable_path"] = self.executable
        self._browser = await self._playwright.chromium.launch(**options)
        self._generation += 1
        self.launches += 1
        log.info(
            "browser_launched",
            version=self._browser.version,
            executable=self.executable or "playwright-bundled",
            engine=self.settings.browser_engine,
            headless=self.settings.headless,
            generation=self._generation,
        )

    async def _ensure_browser(self, generation: int) -> int:
        """Relaunch the browser if the one of ``generation`` is gone; return the current one."""
        async with self._launch_lock:
            if self._generation == generation and not self._browser.is_connected():
                log.warning("browser_relaunching", generation=generation)
                try:
                    await self._browser.close()
                except Exception as exc:
                    log.debug("browser_close_failed", error=str(exc))
                await self._launch()
            return self._generation

    @property
    def browser(self) -> Any:
        return self._browser

    @asynccontextmanager
    async def session(self, job: JobSpec) -> AsyncIterator[BrowserSession]:
        """An isolated context and page for ``job``, closed when the block ends."""
        if self._browser is None:
            raise RuntimeError("ChromiumProvider used outside its `async with`")
        session = BrowserSession(self, job)
        try:
            await session.open()
            yield session
        finally:
            await session.close()


class RestartAttempt(Exception):
    """Raised by a handler's work after :meth:`BrowserSession.restore`: the page it held
    is gone, so :meth:`BrowserSession.run` runs the work again on the restored one."""


class BrowserSession:
    """What a handler sees as ``ctx.browser``: one job's context, page and guard.

    While its job waits for a person beyond the worker's cap of paused contexts, the
    session is :meth:`suspend`-ed: the context's cookies and storage and the page's URL
    are kept, the context is closed (its memory and the worker's slot given back), and
    :meth:`restore` opens a new one from them before the job goes on. A handler that
    finds :meth:`take_restored` true raises :class:`RestartAttempt` to start its work
    again on the new page (carrying what the person answered itself).
    """

    def __init__(self, provider: ChromiumProvider, job: JobSpec) -> None:
        self.provider = provider
        self.job = job
        self.guard = provider.guard
        self.context: Any = None
        self.page: Any = None
        self.recoveries = 0
        #: Set by the form engine just before it clicks a final submit button.
        self.submitted = False
        self._generation = 0
        self._crashed = False
        #: What :meth:`suspend` kept: the context's storage state and the page's URL.
        self._suspended: tuple[dict[str, Any], str] | None = None
        self._restored = False
        #: The URL to start from after a restore (where the person left the page).
        self.restored_url: str | None = None

    @property
    def nav_timeout_ms(self) -> float:
        return self.provider.settings.browser_timeout_seconds * 1000

    async def open(self, state: dict[str, Any] | None = None) -> None:
        """A new context (with ``state``, else the user's saved login for the site)."""
        browser = self.provider.browser
        self._generation = self.provider._generation
        if state is None:
            state = await self._saved_state()
        self.context = await browser.new_context(
            service_workers="block",
            accept_downloads=False,
            viewport={"width": 1280, "height": 900},
            locale="en-US",
            user_agent=_user_agent(browser.version),
            storage_state=state,
        )
        self.context.set_default_navigation_timeout(self.nav_timeout_ms)
        self.context.set_default_timeout(min(self.nav_timeout_ms, 10_000))
        self._crashed = False
        self.page = await self.context.new_page()
        self.page.on("crash", self._on_crash)

    def _on_crash(self, *_: Any) -> None:
        self._crashed = True
        log.warning("browser_page_crashed", job_id=str(self.job.id))

    async def close(self) -> None:
        context, self.context, self.page = self.context, None, None
        if context is None:
            return
        with anyio.CancelScope(shield=True), anyio.move_on_after(10):
            try:
                await context.close()
            except Exception as exc:  # the browser died under it: nothing left to close
                log.debug("context_close_failed", error=str(exc))

    @property
    def crashed(self) -> bool:
        browser = self.provider.browser
        return self._crashed or browser is None or not browser.is_connected()

    async def recover(self) -> None:
        """Replace the context (and the browser, if it died) with fresh ones."""
        await self.close()
        await self.provider._ensure_browser(self._generation)
        await self.open()

    # -- suspend and restore while a person answers ----------------------------------

    @property
    def suspended(self) -> bool:
        return self._suspended is not None

    async def suspend(self) -> bool:
        """Keep the context's state and the page's URL, and close the context. Refused
        (False) once the submit button may have been clicked: a restored page would
        start the application again, and it must never go out twice."""
        if self.submitted or self.context is None or self._suspended is not None:
            return False
        try:
            state: dict[str, Any] = await self.context.storage_state()
            url: str = self.page.url if self.page is not None else self.job.target_url
        except Exception as exc:  # the page is gone already: nothing worth keeping
            log.info("browser_suspend_failed", job_id=str(self.job.id), error=str(exc))
            return False
        self._suspended = (state, url)
        await self.close()
        log.info("browser_suspended", job_id=str(self.job.id))
        return True

    async def restore(self) -> None:
        """A new context from what :meth:`suspend` kept; the handler starts again."""
        if self._suspended is None:
            return
        state, url = self._suspended
        self._suspended = None
        await self.provider._ensure_browser(self._generation)
        await self.open(state)
        self.restored_url = url
        self._restored = True
        log.info("browser_restored", job_id=str(self.job.id))

    def take_restored(self) -> bool:
        """Whether the page was replaced by :meth:`restore` since the last look."""
        restored, self._restored = self._restored, False
        return restored

    async def run(
        self,
        work: Callable[[Any], Awaitable[T]],
        on_recover: Callable[[int, str], Awaitable[None]] | None = None,
    ) -> T:
        """Run ``work(page)``; after a crash, recover and run it again (bounded); after
        a restore (:class:`RestartAttempt`), run it again on the restored page."""
        while True:
            try:
                return await work(self.page)
            except RestartAttempt:
                continue
            except JobFailure:
                raise
            except Exception as exc:
                if not (self.crashed or page_gone(exc)):
                    raise
                reason = str(exc).splitlines()[0][:200]
                if self.submitted:
                    raise JobFailure(
                        ErrorCode.BROWSER_CRASHED,
                        "the browser crashed after the application was submitted; "
                        "not retrying so it cannot be submitted twice",
                        details={"submitted": True, "error": reason},
                        retryable=False,
                    ) from exc
                if self.recoveries >= MAX_RECOVERIES:
                    raise JobFailure(
                        ErrorCode.BROWSER_CRASHED,
                        f"the browser crashed {self.recoveries + 1} times",
                        details={"recoveries": self.recoveries, "error": reason},
                    ) from exc
                self.recoveries += 1
                log.warning(
                    "browser_recovering",
                    job_id=str(self.job.id),
                    attempt=self.recoveries,
                    error=reason,
                )
                await self.recover()
                if on_recover is not None:
                    await on_recover(self.recoveries, reason)

    async def goto(self, url: str) -> Any:
        """Navigate after checking the URL against the network guard."""
        await self.check_url(url)
        return await self.page.goto(url, wait_until="domcontentloaded")

    async def check_url(self, url: str) -> None:
        try:
            await self.guard.check_url(url)
        except GuardBlocked as exc:
            raise JobFailure(
                ErrorCode.BLOCKED_ADDRESS,
                f"the network guard refuses {url} ({exc.reason})",
                details={"url": url, "reason": exc.reason},
                retryable=False,
            ) from None

    async def screenshot(self) -> bytes | None:
        """A viewport PNG, or None when the page cannot take one (crashed, closed)."""
        if self.page is None:
            return None
        try:
            with anyio.fail_after(10):
                data: bytes = await self.page.screenshot(type="png", full_page=False)
                return data
        except Exception as exc:
            log.debug("screenshot_failed", error=str(exc))
            return None

    # -- saved logins (only with a credential store) ------------------------------------

    async def _saved_state(self) -> dict[str, Any] | None:
        store = self.provider.store
        domain = _domain(self.job.target_url)
        if store is None or not domain:
            return None
        state: dict[str, Any] | None = await store.load_session(self.job.user_id, domain)
        if state is not None:
            log.info("browser_session_restored", job_id=str(self.job.id), domain=domain)
        return state

    async def stored_credentials(self, url: str) -> tuple[str, str] | None:
        store = self.provider.store
        if store is None:
            return None
        found: tuple[str, str] | None = await store.get_credentials(self.job.user_id, _domain(url))
        return found

    async def save_login(
        self, login_form_url: str, credentials: tuple[str, str] | None = None
    ) -> None:
        """After a successful login: keep the session under the job's site (where the
        next job starts and looks for it), and new credentials under the site of the
        form they were typed into, so they are only ever offered to that form's site."""
        store = self.provider.store
        if store is None or self.context is None:
            return
        site = _domain(self.job.target_url)
        state = await self.context.storage_state()
        await store.save_session(self.job.user_id, site, state)
        if credentials is not None:
            await store.save_credentials(self.job.user_id, _domain(login_form_url), *credentials)
        log.info("browser_session_saved", job_id=str(self.job.id), domain=site)


def _user_agent(version: str) -> str:
    """Chromium's desktop user agent without the "HeadlessChrome" token sites block on."""
    major = version.split(".")[0] if version else "120"
    return (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Safari/537.36"
    )
