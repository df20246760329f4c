"""`jobstate serve`: the whole service on one machine. A threaded HTTP server plays API Gateway
and its Cognito authorizer in front of the same Lambda handler, over moto's DynamoDB embedded
in this process unless an endpoint is configured.

Other parts plug in through `LocalPlugins`: background services started and stopped with the
server (the workflow runner, the stream poller) and a callback told of every job created.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TextIO

from jobstate.config import Settings
from jobstate.handlers import api
from jobstate.handlers.http_errors import error_body
from jobstate.local.auth import (
    InvalidTokenError,
    authorizer_claims,
    bearer_token,
    derived_key,
    local_secret,
    verify_token,
)
from jobstate.local.gateway import HttpReply, http_reply, proxy_event
from jobstate.local.moto_server import MotoServer
from jobstate.models import utc_now
from jobstate.observability import logger
from jobstate.service.cursor import CURSOR_SECRET_ENV, CursorCodec
from jobstate.service.jobs import TranslationJobService

# API Gateway refuses larger payloads before the Lambda runs; the handler's own limit is lower.
MAX_GATEWAY_BODY_BYTES = 10 * 1024 * 1024
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class BackgroundService(Protocol):
    def start(self) -> object: ...

    def stop(self) -> object: ...


@dataclass
class LocalPlugins:
    """Started before the server listens and stopped, in reverse order, after it closes.

    `on_job_created(job_id)` runs inside the request that created the job, so it should hand
    the job over (to a queue, a runner) and return.
    """

    background: list[BackgroundService] = field(default_factory=list)
    on_job_created: Callable[[str], None] | None = None


def default_plugins(settings: Settings) -> LocalPlugins:
    """The parts `jobstate serve` runs besides the API.

    The workflow's local runner belongs here (a background service whose `submit` is the
    `on_job_created` callback), and so does the table-stream poller that relays events.
    """
    from jobstate.local.stream_poller import StreamPoller
    from jobstate.store.manager import JobStateManager
    from jobstate.workflow.local_runner import LocalRunner
    from jobstate.workflow.tasks import WorkflowTasks

    runner = LocalRunner(tasks=WorkflowTasks(manager=JobStateManager(settings=settings)))
    return LocalPlugins(
        background=[StreamPoller(settings=settings), runner], on_job_created=runner.on_job_created
    )


@dataclass(frozen=True)
class _LambdaContext:
    """The attributes of a Lambda context that Powertools reads."""

    function_name: str = "jobstate-api-local"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:jobstate-api-local"
    aws_request_id: str = "local"


def _reply(status: int, code: str, message: str) -> HttpReply:
    body = error_body(code, message).encode()
    return HttpReply(status, [("Content-Type", "application/json")], body)


class LocalService:
    """Start with `start()`, stop with `stop()`; `url` is where it serves."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        plugins: LocalPlugins | None = None,
        access_log: TextIO | None = sys.stderr,
        settings: Settings | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.plugins = plugins
        self.access_log = access_log
        self.settings = settings
        self.embedded_moto: MotoServer | None = None
        self._secret = b""
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._invocations = threading.Lock()
        self._started: list[BackgroundService] = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------------------ lifecycle

    def start(self) -> LocalService:
        self._secret = local_secret()
        self._start_store()
        settings = self.settings or Settings.from_env()
        self.settings = settings
        service = self._build_service(settings)
        plugins = self.plugins or default_plugins(settings)
        api.use_service(service, on_job_created=plugins.on_job_created)
        for background in plugins.background:
            background.start()
            self._started.append(background)
        handler = type("Handler", (_RequestHandler,), {"local": self})
        self._http = ThreadingHTTPServer((self.host, self.port), handler)
        self._http.daemon_threads = True
        self.port = self._http.server_port
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="jobstate-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        while self._started:
            background = self._started.pop()
            try:
                background.stop()
            except Exception:
                logger.exception("background service did not stop cleanly")
        api.use_service(None)
        if self.embedded_moto is not None:
            self.embedded_moto.stop()
            self.embedded_moto = None

    def _start_store(self) -> None:
        if any(os.environ.get(name) for name in ENDPOINT_VARIABLES):
            return
        self.embedded_moto = MotoServer(host="127.0.0.1").start()
        # Everything in this process (and the plug-ins) finds the emulator the standard way.
        os.environ["AWS_ENDPOINT_URL"] = self.embedded_moto.url
        os.environ["MOTO_PORT"] = str(self.embedded_moto.port)
        for name, value in (
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
        ):
            os.environ.setdefault(name, value)

    def _build_service(self, settings: Settings) -> TranslationJobService:
        from jobstate.store.client import create_table, make_client

        client = make_client(settings)
        create_table(client, settings.table_name)
        # One key for the whole process (and across restarts), so every cursor it issues opens;
        # set in the environment too, for any other codec built in this process.
        derived = derived_key(self._secret, "cursors").hex()
        cursor_key = os.environ.setdefault(CURSOR_SECRET_ENV, derived).encode()
        return TranslationJobService(
            client=client, settings=settings, cursors=CursorCodec(cursor_key)
        )

    # ------------------------------------------------------------------------------- requests

    def respond(
        self,
        method: str,
        target: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        *,
        authorization: str | None,
        source_ip: str,
    ) -> HttpReply:
        """What API Gateway would answer: verify the token, then run the Lambda handler."""
        try:
            token = bearer_token(authorization)
            claims = authorizer_claims(verify_token(token, self._secret, now=utc_now()))
        except InvalidTokenError as error:
            return _reply(HTTPStatus.UNAUTHORIZED, "UNAUTHORIZED", str(error))
        event = proxy_event(method, target, headers, body, claims=claims, source_ip=source_ip)
        # Powertools keeps the current event on its router class, shared by every resolver, so
        # invocations take turns, as in one Lambda instance; sockets are still served in parallel.
        with self._invocations:
            try:
                result = api.handler(event, _LambdaContext())
            except Exception:
                logger.exception("the handler raised instead of answering")
                return _reply(HTTPStatus.BAD_GATEWAY, "BAD_GATEWAY", "internal server error")
        return http_reply(result)

    def log_request(self, client: str, method: str, target: str, status: int, ms: float) -> None:
        if self.access_log is None:
            return
        path = target.split("?", 1)[0]
        print(f'{client} "{method} {path}" {status} {ms:.1f}ms', file=self.access_log, flush=True)


class _RequestHandler(BaseHTTPRequestHandler):
    local: LocalService
    protocol_version = "HTTP/1.1"
    server_version = "jobstate-local"

    def _dispatch(self) -> None:
        started = time.perf_counter()
        reply = self._answer()
        self.send_response(reply.status)
        for name, value in reply.headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.local.log_request(
            self.client_address[0], self.command, self.path, reply.status, elapsed_ms
        )

    def _answer(self) -> HttpReply:
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return _reply(HTTPStatus.LENGTH_REQUIRED, "LENGTH_REQUIRED", "send Content-Length")
        try:
            length = int(length_text) if length_text else 0
        except ValueError:
            self.close_connection = True
            return _reply(HTTPStatus.BAD_REQUEST, "MALFORMED_REQUEST", "bad Content-Length")
        if length < 0 or length > MAX_GATEWAY_BODY_BYTES:
            self.close_connection = True
            message = f"the body is larger than {MAX_GATEWAY_BODY_BYTES} bytes"
            return _reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PAYLOAD_TOO_LARGE", message)
        body = self.rfile.read(length) if length else b""
        return self.local.respond(
            self.command,
            self.path,
            self.headers.items(),
            body,
            authorization=self.headers.get("Authorization"),
            source_ip=self.client_address[0],
        )

    def log_message(self, format: str, *args: Any) -> None:
        pass  # LocalService.log_request writes the one line per request


for _method in _METHODS:
    setattr(_RequestHandler, f"do_{_method}", _RequestHandler._dispatch)


def serve(host: str, port: int, *, plugins: LocalPlugins | None = None) -> int:
    """Run until Ctrl-C (or SIGTERM), then stop everything in order."""
    import signal

    stopping = threading.Event()
    local = LocalService(host=host, port=port, plugins=plugins)
    local.start()
    endpoint = next((os.environ[v] for v in ENDPOINT_VARIABLES if os.environ.get(v)), "")
    store = "moto embedded in this process" if local.embedded_moto else endpoint
    table = local.settings.table_name if local.settings else ""
    print(f"jobstate API on {local.url} (table {table}, DynamoDB at {store})", flush=True)
    print("get a token with `jobstate token USER_ID [--operator]`; Ctrl-C stops", flush=True)
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.set())
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        local.stop()
        print("stopped", flush=True)
    return 0
