"""A misbehaving HTTP server on 127.0.0.1 for the remote tests.

    hostile_http.py ROOT PORTFILE LOGFILE [LIFETIME_S [CERT.pem]]

Serves files under ROOT with range requests, ETag and Last-Modified (304 to
If-None-Match / If-Modified-Since), plus fault paths (see FAULTS below).
Binds 127.0.0.1 on a port the kernel picks and writes it to PORTFILE once it
listens (the tests wait for that file, then for a connection: no fixed
sleep). Logs one line per request to LOGFILE: "METHOD PATH STATUS BYTES".
Exits by itself after LIFETIME_S seconds (default 120) so a test that dies
cannot leave it behind. With CERT.pem (certificate and key) it speaks TLS.
"""
import email.utils
import hashlib
import http.server
import os
import ssl
import struct
import sys
import threading
import time

ROOT, PORTFILE, LOGFILE = sys.argv[1], sys.argv[2], sys.argv[3]
LIFETIME = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
CERT = sys.argv[5] if len(sys.argv) > 5 else None
log_lock = threading.Lock()


def log(method, path, status, nbytes):
    with log_lock, open(LOGFILE, 'a') as f:
        f.write(f'{method} {path} {status} {nbytes}\n')


def gguf_prefix(n_tensors, n_kv):
    return b'GGUF' + struct.pack('<IQQ', 3, n_tensors, n_kv)


def wrap_array():
    """A string array whose element claims 2^64 - 8 bytes: 8 + length wraps
    to 0 in a scanner that adds before comparing (issue 18 item 4)."""
    body = gguf_prefix(1, 1)
    body += struct.pack('<Q', 1) + b'a' + struct.pack('<IIQ', 9, 8, 1 << 62)
    body += struct.pack('<Q', (1 << 64) - 8) * 4
    return body.ljust(120, b'\0')


def wrap_string():
    """A string value whose length wraps the position: an estimate shorter
    than what was read would truncate the header."""
    body = gguf_prefix(1, 2)
    body += struct.pack('<Q', 1) + b'a' + struct.pack('<IQ', 8, (1 << 64) - 40)
    return body.ljust(120, b'\0')


def big_counts():
    """Counts at the limit and lengths of zero: bounded work, no wrap."""
    body = gguf_prefix(1 << 32, 1 << 32)
    body += struct.pack('<Q', 1) + b'a' + struct.pack('<IIQ', 9, 8, (1 << 64) - 1)
    body += struct.pack('<Q', 0) * 10
    return body.ljust(120, b'\0')


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def send(self, status, body=b'', headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        log('GET', self.path, status, len(body))

    def ranged(self, data, total=None, first=None):
        """Answer the requested range of data (206), claiming total."""
        rng = self.headers.get('Range', '')
        a, b = 0, len(data) - 1
        if rng.startswith('bytes='):
            lo, _, hi = rng[6:].partition('-')
            a = int(lo)
            b = min(int(hi) if hi else len(data) - 1, len(data) - 1)
        if a >= len(data):
            return self.send(416)
        start = a if first is None else first
        part = data[a:b + 1]
        tot = len(data) if total is None else total
        self.send(206, part, [('Content-Range', f'bytes {start}-{start + len(part) - 1}/{tot}')])

    def do_GET(self):
        p = self.path.split('?')[0]
        port = self.server.server_address[1]
        if p.startswith('/wrap-array'):
            return self.ranged(wrap_array())
        if p.startswith('/wrap-string'):
            return self.ranged(wrap_string())
        if p.startswith('/big-counts'):
            return self.ranged(big_counts())
        if p.startswith('/ftp-redirect'):
            return self.send(302, b'', [('Location', f'ftp://127.0.0.1:{port}/x.gguf')])
        if p.startswith('/downgrade'):  # https -> http (issue 18 item 5)
            to = p.split('/')[2]  # /downgrade/PORT/x.gguf
            return self.send(302, b'', [('Location', f'http://127.0.0.1:{to}/small.gguf')])
        if p.startswith('/file-redirect'):
            return self.send(302, b'', [('Location', 'file:///etc/passwd')])
        if p.startswith('/huge-total'):  # issue 18 item 6: an 8 TiB sparse file
            return self.ranged(self.file('small.gguf'), total=1 << 43)
        if p.startswith('/wrong-range'):  # bytes other than those asked
            return self.ranged(self.file('small.gguf'), first=4096)
        if p.startswith('/stall'):  # issue 18 item 7: one byte a second
            self.send_response(206)
            self.send_header('Content-Range', 'bytes 0-65535/1000000')
            self.send_header('Content-Length', '65536')
            self.end_headers()
            log('GET', self.path, 206, 0)
            try:
                for _ in range(600):
                    self.wfile.write(b'G')
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
            return
        if p.startswith('/truncated'):  # closes early
            self.send_response(206)
            self.send_header('Content-Range', 'bytes 0-1048575/5000000')
            self.send_header('Content-Length', '1048576')
            self.end_headers()
            self.wfile.write(b'GGUF' + b'\x03\x00\x00\x00' + b'\x00' * 100)
            self.wfile.flush()
            self.close_connection = True
            log('GET', self.path, 206, 108)
            return
        if p.startswith('/416'):
            return self.send(416)
        # plain files with validators
        path = os.path.join(ROOT, p.lstrip('/'))
        if '..' in p or not os.path.isfile(path):
            return self.send(404)
        st = os.stat(path)
        etag = '"%s"' % hashlib.sha1(f'{st.st_size}-{st.st_mtime_ns}'.encode()).hexdigest()[:16]
        lm = email.utils.formatdate(st.st_mtime, usegmt=True)
        if self.headers.get('If-None-Match') == etag:
            return self.send(304, b'', [('ETag', etag)])
        data = self.file(p.lstrip('/'))
        self.validators = [('ETag', etag), ('Last-Modified', lm)]
        rng = self.headers.get('Range')
        if not rng:
            return self.send(200, data, self.validators)
        a, _, b = rng[6:].partition('-')
        a, b = int(a), min(int(b) if b else len(data) - 1, len(data) - 1)
        if a >= len(data):
            return self.send(416)
        self.send(206, data[a:b + 1],
                  self.validators + [('Content-Range', f'bytes {a}-{b}/{len(data)}')])

    def file(self, rel):
        with open(os.path.join(ROOT, rel), 'rb') as f:
            return f.read()

    def log_message(self, *a):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = Server(('127.0.0.1', 0), H)
if CERT:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
threading.Timer(LIFETIME, lambda: os._exit(0)).start()
with open(PORTFILE + '.tmp', 'w') as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + '.tmp', PORTFILE)
srv.serve_forever()
