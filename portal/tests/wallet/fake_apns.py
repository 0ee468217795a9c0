"""A fake of Apple's push service on 127.0.0.1 for tests: it records every push (path, topic,
body) and answers 200, or what the test asked for a device token (410 for one Apple forgot)."""
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Push:
    path: str
    topic: str
    body: bytes

    @property
    def token(self) -> str:
        return self.path.removeprefix("/3/device/")


@dataclass
class FakeApns:
    pushes: list[Push] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> "FakeApns":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                push = Push(path=self.path, topic=self.headers.get("apns-topic", ""), body=body)
                with fake._lock:
                    fake.pushes.append(push)
                    status = fake.answers.get(push.token, 200)
                answer = b'{"reason":"Unregistered","timestamp":0}' if status == 410 else b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def pushes_to(self, token: str) -> list[Push]:
        with self._lock:
            return [push for push in self.pushes if push.token == token]
