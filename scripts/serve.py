#!/usr/bin/env python3
"""Serves the repository root on 127.0.0.1 for the playground (`make play`).

A static server is all the page needs: it is plain ES modules plus the wasm module. The port
comes from $PORT (default 8000); a busy port is reported with a hint instead of a traceback.
"""
import http.server
import os
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
port_text = os.environ.get("PORT", "8000")
try:
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ValueError
except ValueError:
    sys.exit(f"PORT must be a number from 1 to 65535 (got {port_text!r})")


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=root, **kwargs)

    def end_headers(self):
        # The page is rebuilt while it is open: never let the browser serve a stale module.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        if os.environ.get("VERBOSE"):
            super().log_message(*args)


try:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
except OSError as e:
    sys.exit(f"port {port} on 127.0.0.1 is busy ({e.strerror}); pick another with PORT=, e.g. `PORT=8123 make play`")

print(f"cachelab playground: http://127.0.0.1:{port}/  (Ctrl-C stops it)", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
