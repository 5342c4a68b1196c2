"""Local servers for the remote kvstore tests: ``python _servers.py {s3|gcs|http} [root]``.

Each binds 127.0.0.1 on a free port chosen by the kernel (no races between pytest-xdist workers),
prints ``PORT <n>`` on stdout and serves until terminated.  Changes over the stock servers:

* a deep listen backlog: stock ``http.server`` servers accept 5 pending connections, so 100
  concurrent requests see dropped SYNs and one-second TCP retransmits;
* ``POST /_tsx/seed`` with ``{"bucket": b, "keys": [...]}`` writes empty objects straight into the
  emulator's backing store, so listing tests can fill a bucket with 10,000 keys in a second;
* gcs: the emulator's in-memory store stops re-serialising its whole metadata on every write
  (quadratic), and ``ifGenerationMatch`` preconditions are enforced (HTTP 412) as GCS does.
"""

from __future__ import annotations

import io
import json
import re
import sys
import urllib.parse
from typing import Any

BACKLOG = 1024


def _announce(port: int) -> None:
    print(f"PORT {port}", flush=True)


def run_s3() -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from moto.s3.models import s3_backends
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)

    def with_seed(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/_tsx/seed" and environ.get("REQUEST_METHOD") == "POST":
            body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
            backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
            for key in body["keys"]:
                backend.put_object(body["bucket"], key, b"")
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, with_seed, threaded=True, request_handler=MotoRequestHandler)
    server.socket.listen(BACKLOG)
    _announce(server.server_address[1])
    server.serve_forever()


_UPLOAD = re.compile(r"^/upload/storage/v1/b/([^/?]+)/o")
_OBJECT = re.compile(r"^/(?:download/)?storage/v1/b/([^/?]+)/o/([^?]+)")


def run_gcs() -> None:
    from http import server as http_server

    from gcp_storage_emulator import server as gserver
    from gcp_storage_emulator import storage as gstorage
    from gcp_storage_emulator.handlers import objects

    gstorage.Storage._write_config_to_file = lambda self: None  # type: ignore[method-assign]
    http_server.HTTPServer.request_queue_size = BACKLOG
    handler = gserver.RequestHandler

    def current_generation(self: Any, bucket: str, name: str) -> str:
        obj = self.storage.objects.get(bucket, {}).get(name)
        return "0" if obj is None else str(obj["generation"])

    def precondition_failed(self: Any) -> None:
        body = b'{"error": {"code": 412, "message": "Precondition Failed"}}'
        self.send_response(412)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def check(self: Any, bucket: str, name: str | None) -> bool:
        """``False`` (412 sent) when the request's ``ifGenerationMatch`` does not hold."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        want = query.get("ifGenerationMatch")
        if not want or name is None:
            return True
        if current_generation(self, bucket, name) != want[0]:
            precondition_failed(self)
            return False
        return True

    orig_get, orig_post, orig_delete = handler.do_GET, handler.do_POST, handler.do_DELETE

    def do_get(self: Any) -> None:
        m = _OBJECT.match(self.path)
        if m and not check(self, m.group(1), urllib.parse.unquote(m.group(2))):
            return
        orig_get(self)

    def do_delete(self: Any) -> None:
        m = _OBJECT.match(self.path)
        if m and not check(self, m.group(1), urllib.parse.unquote(m.group(2))):
            return
        orig_delete(self)

    def do_post(self: Any) -> None:
        if self.path == "/_tsx/seed":
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            base = f"http://{self.headers.get('Host')}"
            for key in body["keys"]:
                obj = objects._make_object_resource(base, body["bucket"], key, "application/octet-stream", "0")
                self.storage.create_file(body["bucket"], key, b"", objects._checksums(b"", obj))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            return
        m = _UPLOAD.match(self.path)
        if m and "ifGenerationMatch=" in self.path:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length)
            self.rfile = io.BytesIO(data)
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            name = query.get("name", [None])[0]
            if name is None:
                meta = re.search(rb'\{"name": ?("(?:[^"\\]|\\.)*")\}', data)
                name = json.loads(meta.group(1)) if meta else None
            if not check(self, m.group(1), name):
                return
        orig_post(self)

    handler.do_GET = do_get  # type: ignore[method-assign]
    handler.do_POST = do_post  # type: ignore[method-assign]
    handler.do_DELETE = do_delete  # type: ignore[method-assign]
    srv = gserver.create_server("127.0.0.1", 0, in_memory=True, default_bucket="tsx-bucket")
    srv.start()
    _announce(srv._api._httpd.server_address[1])
    import threading

    threading.Event().wait()


def run_http(root: str) -> None:
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Server(ThreadingHTTPServer):
        request_queue_size = BACKLOG

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    srv = Server(("127.0.0.1", 0), partial(Quiet, directory=root))
    _announce(srv.server_address[1])
    srv.serve_forever()


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "s3":
        run_s3()
    elif kind == "gcs":
        run_gcs()
    else:
        run_http(sys.argv[2])
