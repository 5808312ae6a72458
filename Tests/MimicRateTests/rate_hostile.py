#!/usr/bin/env python3
"""Hostile requests against a running `mimic rate serve`.

Usage: python3 rate_hostile.py BASE_URL RATER_TOKEN OTHER_RATER_TOKEN ADMIN_TOKEN

RATER_TOKEN's rater is set up here: started, one legitimate vote (whose ack is recorded), then the hostile cases.
OTHER_RATER_TOKEN's rater is started too (to learn their CSRF value and assignment) but never votes. Every hostile
case expects a 4xx (the replay of the legitimate vote: 409); raw-socket cases may instead see the connection closed,
and the server must still answer /health after them. No case may create state: no valid Prolific id is ever sent, no
valid exclusion form is ever sent to a valid admin link from a valid origin.

Prints one JSON object: {"cases": [{"name", "status", "ok"}], "legit_ack", "health_after", "all_4xx"}.
Exits 0 whatever the cases gave (the caller judges), 2 when the setup failed. Standard library only.
"""
import http.client
import json
import re
import secrets
import socket
import sys
import time
import urllib.parse

TIMEOUT = 5.0
# A little time between cases, so that the per-rater limit (40 at once, 20 a second) mostly answers with the status
# the case is about rather than 429 (429 counts as a 4xx all the same).
PACE = 0.06


class SetupError(Exception):
    pass


def main():
    if len(sys.argv) != 5:
        print("usage: rate_hostile.py BASE_URL RATER_TOKEN OTHER_RATER_TOKEN ADMIN_TOKEN", file=sys.stderr)
        return 2
    base, rater, other, admin = sys.argv[1:5]
    parts = urllib.parse.urlsplit(base.rstrip("/"))
    if parts.scheme != "http" or not parts.hostname:
        print("BASE_URL must be http://HOST:PORT", file=sys.stderr)
        return 2
    h = Hostile(parts.hostname, parts.port or 80, rater, other, admin)
    try:
        h.setup()
    except (SetupError, OSError, http.client.HTTPException) as e:
        print(json.dumps({"error": "setup failed: %s" % e, "cases": [], "legit_ack": h.legit_ack,
                          "health_after": None, "all_4xx": False}))
        return 2
    h.run_cases()
    health = h.health()
    out = {
        "cases": h.cases,
        "legit_ack": h.legit_ack,
        "health_after": health,
        "all_4xx": all(c["ok"] for c in h.cases),
    }
    print(json.dumps(out))
    return 0


def form(pairs):
    """URL-encodes (key, value) pairs, keeping their order and repeats."""
    return urllib.parse.urlencode(pairs).encode()


def field(page, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    return m.group(1) if m else None


class Hostile:
    def __init__(self, host, port, rater, other, admin):
        self.host, self.port = host, port
        self.rater, self.other, self.admin = rater, other, admin
        self.hostport = "%s:%d" % (("[%s]" % host) if ":" in host else host, port)
        self.origin = "http://" + self.hostport
        self.cases = []
        self.legit_ack = None

    # MARK: plumbing

    def request(self, method, path, body=None, headers=None, ctype="application/x-www-form-urlencoded",
                browser=True, chunks=None):
        """One request on a fresh connection; (status, text), status None when no response came."""
        hdrs = {}
        if method == "POST" or body is not None or chunks is not None:
            if ctype is not None:
                hdrs["Content-Type"] = ctype
            if browser:
                hdrs["Origin"] = self.origin
                hdrs["Sec-Fetch-Site"] = "same-origin"
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            try:
                if chunks is not None:
                    conn.request(method, path, body=iter(chunks), headers=hdrs, encode_chunked=True)
                else:
                    conn.request(method, path, body=body, headers=hdrs)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer (and close) before the whole body is sent
            try:
                r = conn.getresponse()
                text = r.read().decode("utf-8", "replace")
                return r.status, text
            except (OSError, http.client.HTTPException):
                return None, ""
        except (OSError, http.client.HTTPException):
            return None, ""
        finally:
            conn.close()

    def raw(self, data):
        """Sends bytes on a raw socket; (statuses seen, closed). Stops at close, or a moment after a full response."""
        statuses, closed, buf = [], False, b""
        try:
            s = socket.create_connection((self.host, self.port), timeout=TIMEOUT)
        except OSError:
            return statuses, True
        try:
            try:
                s.sendall(data)
            except OSError:
                pass
            deadline = time.time() + TIMEOUT
            while time.time() < deadline:
                s.settimeout(1.0 if statuses else max(0.1, deadline - time.time()))
                try:
                    d = s.recv(65536)
                except socket.timeout:
                    break
                except OSError:
                    closed = True
                    break
                if not d:
                    closed = True
                    break
                buf += d
                buf = self._responses(buf, statuses)
        finally:
            s.close()
        return statuses, closed

    @staticmethod
    def _responses(buf, statuses):
        """Takes the complete responses off the front of `buf`, noting their statuses."""
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return buf
            head = buf[:end].decode("latin-1")
            lines = head.split("\r\n")
            m = re.match(r"HTTP/\d\.\d (\d{3})", lines[0])
            if not m:
                return buf
            length = 0
            for line in lines[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() == "content-length":
                    try:
                        length = int(v.strip())
                    except ValueError:
                        length = 0
            if len(buf) < end + 4 + length:
                return buf
            statuses.append(int(m.group(1)))
            buf = buf[end + 4 + length:]

    def health(self):
        status, text = self.request("GET", "/health")
        return status if status != 200 or text.strip() == "ok" else None

    def record(self, name, status, ok=None):
        if ok is None:
            ok = status is not None and 400 <= status <= 499
        self.cases.append({"name": name, "status": status, "ok": bool(ok)})
        time.sleep(PACE)

    def case(self, name, method, path, body=None, **kw):
        expect = kw.pop("expect", None)
        status, _ = self.request(method, path, body, **kw)
        self.record(name, status, ok=(status == expect) if expect is not None else None)

    def raw_case(self, name, data):
        statuses, closed = self.raw(data)
        ok_reply = (statuses and all(400 <= s <= 499 for s in statuses)) or (not statuses and closed)
        ok = bool(ok_reply) and self.health() == 200
        self.record(name, statuses[0] if statuses else None, ok=ok)

    # MARK: setup

    def page(self, token):
        status, text = self.request("GET", "/r/%s" % token)
        if status != 200:
            raise SetupError("GET /r/%s… gave %s" % (token[:6], status))
        return text

    def started_page(self, token):
        """The rater's page after starting them (if they were not started yet)."""
        text = self.page(token)
        if 'action="/r/%s/start"' % token in text:
            csrf = field(text, "csrf")
            status, _ = self.request("POST", "/r/%s/start" % token, form([("csrf", csrf)]))
            if status != 303:
                raise SetupError("starting a rater gave %s" % status)
            text = self.page(token)
        return text

    def setup(self):
        if self.health() != 200:
            raise SetupError("/health does not say ok")
        text = self.started_page(self.rater)
        self.csrf = field(text, "csrf")
        self.voted = field(text, "assignment")
        if not self.csrf or not self.voted:
            raise SetupError("the rater's page has no item to vote on")
        self.legit_body = form([("csrf", self.csrf), ("assignment", self.voted), ("choice", "1")])
        self.legit_ack, _ = self.request("POST", "/r/%s/vote" % self.rater, self.legit_body)
        if self.legit_ack != 303:
            raise SetupError("the legitimate vote gave %s" % self.legit_ack)
        text = self.page(self.rater)
        # The rater's next (open) item: hostile votes aim at it, so that a wrongly accepted one would show as a vote.
        self.pending = field(text, "assignment") or secrets.token_hex(16)
        text = self.started_page(self.other)
        self.other_csrf = field(text, "csrf")
        self.other_assignment = field(text, "assignment")
        if not self.other_csrf or not self.other_assignment:
            raise SetupError("the other rater's page has no item")
        status, text = self.request("GET", "/admin/%s" % self.admin)
        if status != 200:
            raise SetupError("GET /admin gave %s" % status)
        self.admin_csrf = field(text, "csrf")
        ids = [int(x) for x in re.findall(r'name="rater" value="(\d+)"', text)]
        if not self.admin_csrf or not ids:
            raise SetupError("the admin page has no exclusion forms")
        self.rater_ids = ids
        self.some_rater = ids[0]

    # MARK: cases

    def vote(self, pairs=None, **over):
        """The fields of a vote on the pending item, with some replaced (None: left out)."""
        fields = {"csrf": self.csrf, "assignment": self.pending, "choice": "2"}
        fields.update(over)
        return form([(k, v) for k, v in fields.items() if v is not None] + list(pairs or []))

    def exclusion(self, **over):
        fields = {"csrf": self.admin_csrf, "rater": str(self.some_rater), "excluded": "1"}
        fields.update(over)
        return form([(k, v) for k, v in fields.items() if v is not None])

    def run_cases(self):
        R, O, A = self.rater, self.other, self.admin
        V, S, X = "/r/%s/vote" % R, "/r/%s/start" % R, "/admin/%s/exclude" % A
        unknown = secrets.token_hex(16)
        c = self.case

        # Replays first, before any limit is touched: the exact legitimate request, and another choice on it.
        c("replay_legit_vote_409", "POST", V, self.legit_body, expect=409)
        c("vote_already_voted_other_choice_409", "POST", V,
          form([("csrf", self.csrf), ("assignment", self.voted), ("choice", "3")]), expect=409)

        # Tokens on every route.
        for route, method, body in (("/r/%s", "GET", None), ("/r/%s/start", "POST", form([("csrf", self.csrf)])),
                                    ("/r/%s/vote", "POST", self.vote()), ("/admin/%s", "GET", None),
                                    ("/admin/%s/exclude", "POST", self.exclusion())):
            short = route.replace("/%s", "").strip("/").replace("/", "_") or "root"
            c("%s_unknown_token" % short, method, route % unknown, body)
            c("%s_short_token" % short, method, route % "abc123", body)
            c("%s_too_long_token" % short, method, route % ("a" * 33), body)
        c("r_very_long_token", "GET", "/r/" + "a" * 4000)
        c("r_uppercase_token", "GET", "/r/" + R.upper() if R.upper() != R else "/r/" + "G" + R[1:])
        c("r_nonhex_token", "GET", "/r/" + "g" * 32)
        c("r_unicode_token", "GET", "/r/" + "%C3%A9" * 16)
        c("r_nul_in_token", "GET", "/r/" + R[:31] + "%00")
        c("r_token_plus_suffix", "GET", "/r/" + R + "x")
        c("r_empty_token_start", "POST", "/r//start", form([("csrf", self.csrf)]))
        c("r_admin_token_as_rater", "GET", "/r/" + A)
        c("admin_rater_token", "GET", "/admin/" + R)
        c("admin_empty_token", "GET", "/admin/")
        c("admin_exclude_with_rater_token", "POST", "/admin/%s/exclude" % R, self.exclusion())
        c("vote_admin_token_as_rater", "POST", "/r/%s/vote" % A, self.vote())

        # Path traversal.
        c("traversal_r_dotdot_admin", "GET", "/r/../admin")
        c("traversal_r_dotdot_admin_token_exclude", "GET", "/r/%s/../../admin/%s/exclude" % (R, A))
        c("traversal_encoded_dotdot", "GET", "/r/..%2f..%2fadmin")
        c("traversal_static_passwd", "GET", "/static/../../../../etc/passwd")
        c("traversal_static_encoded_passwd", "GET", "/static/..%2f..%2f..%2fetc%2fpasswd")
        c("traversal_start_via_dotdot", "POST", "/r/%s/x/../start" % unknown, form([("csrf", self.csrf)]))

        # Wrong methods.
        c("get_on_start", "GET", S)
        c("get_on_vote", "GET", V)
        c("get_on_exclude", "GET", X)
        c("put_vote", "PUT", V, self.vote())
        c("patch_vote", "PATCH", V, self.vote())
        c("delete_rater", "DELETE", "/r/" + R)
        c("delete_admin", "DELETE", "/admin/" + A)
        c("put_exclude", "PUT", X, self.exclusion())
        c("post_on_show", "POST", "/r/" + R, self.vote())
        c("post_on_admin_page", "POST", "/admin/" + A, self.exclusion())
        c("post_on_health", "POST", "/health", b"x=1")
        c("trace_rater", "TRACE", "/r/" + R)
        c("post_prolific", "POST", "/p", b"PROLIFIC_PID=" + b"a" * 70)

        # CSRF.
        c("vote_missing_csrf", "POST", V, self.vote(csrf=None))
        c("vote_wrong_csrf", "POST", V, self.vote(csrf=secrets.token_hex(16)))
        c("vote_empty_csrf", "POST", V, self.vote(csrf=""))
        c("vote_other_raters_csrf", "POST", V, self.vote(csrf=self.other_csrf))
        c("vote_admin_csrf", "POST", V, self.vote(csrf=self.admin_csrf))
        c("vote_csrf_prefix", "POST", V, self.vote(csrf=self.csrf[:-1]))
        c("vote_csrf_uppercase", "POST", V, self.vote(csrf=self.csrf.upper() if self.csrf.upper() != self.csrf
                                                            else "G" + self.csrf[1:]))
        c("vote_csrf_trailing_space", "POST", V, self.vote(csrf=self.csrf + " "))
        c("vote_csrf_key_without_value", "POST", V,
          b"csrf&" + form([("assignment", self.pending), ("choice", "2")]))
        c("start_missing_csrf", "POST", S, b"")
        c("start_wrong_csrf", "POST", S, form([("csrf", secrets.token_hex(16))]))
        c("start_extra_field", "POST", S, form([("csrf", self.csrf), ("choice", "1")]))
        c("start_other_with_raters_csrf", "POST", "/r/%s/start" % O, form([("csrf", self.csrf)]))

        # Origin and Fetch Metadata, with everything else valid.
        for name, hdr in (("origin_evil", {"Origin": "http://evil.example"}),
                          ("origin_null", {"Origin": "null"}),
                          ("origin_https_evil", {"Origin": "https://evil.example"}),
                          ("origin_host_suffix", {"Origin": "http://%s.evil.example" % self.host}),
                          ("origin_other_port", {"Origin": "http://%s:1" % self.host}),
                          ("origin_with_path", {"Origin": self.origin + "/r"}),
                          ("fetch_site_cross_site", {"Sec-Fetch-Site": "cross-site"}),
                          ("fetch_site_same_site", {"Sec-Fetch-Site": "same-site"}),
                          ("fetch_site_cross_site_no_origin", {"Sec-Fetch-Site": "cross-site", "Origin": None})):
            headers = {"Origin": self.origin, "Sec-Fetch-Site": "same-origin"}
            headers.update(hdr)
            headers = {k: v for k, v in headers.items() if v is not None}
            c("vote_" + name, "POST", V, self.vote(), headers=headers, browser=False)
        c("start_origin_evil", "POST", S, form([("csrf", self.csrf)]), headers={"Origin": "http://evil.example"})
        c("exclude_origin_evil", "POST", X, self.exclusion(), headers={"Origin": "http://evil.example"})
        c("exclude_fetch_site_cross_site", "POST", X, self.exclusion(), headers={"Sec-Fetch-Site": "cross-site"})

        # Content types.
        fields = {"csrf": self.csrf, "assignment": self.pending, "choice": "2"}
        c("vote_json", "POST", V, json.dumps(fields).encode(), ctype="application/json")
        c("vote_form_body_labelled_json", "POST", V, self.vote(), ctype="application/json")
        boundary = "----hostile" + secrets.token_hex(8)
        multipart = "".join('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, k, v)
                            for k, v in fields.items()) + "--%s--\r\n" % boundary
        c("vote_multipart", "POST", V, multipart.encode(), ctype="multipart/form-data; boundary=" + boundary)
        c("vote_text_plain", "POST", V, self.vote(), ctype="text/plain")
        c("vote_no_content_type", "POST", V, self.vote(), ctype=None)
        c("vote_content_type_suffix", "POST", V, self.vote(), ctype="application/x-www-form-urlencodedx")
        c("start_text_plain", "POST", S, form([("csrf", self.csrf)]), ctype="text/plain")
        c("exclude_json", "POST", X, json.dumps({"csrf": self.admin_csrf, "rater": self.some_rater,
                                                 "excluded": 1}).encode(), ctype="application/json")

        # Sizes.
        big = self.vote([("comment", "x" * 20000)])
        c("vote_oversized_content_length", "POST", V, big)
        c("vote_oversized_chunked", "POST", V, None, chunks=[big[i:i + 4096] for i in range(0, len(big), 4096)])
        c("start_oversized", "POST", S, form([("csrf", self.csrf), ("pad", "x" * 20000)]))
        c("exclude_oversized", "POST", X, self.exclusion() + b"&pad=" + b"x" * 20000)
        c("vote_comment_2001_chars", "POST", V, self.vote([("comment", "c" * 2001)]))
        c("vote_comment_2001_multibyte_chars", "POST", V, self.vote([("comment", "\u00e9" * 2001)]))

        # Malformed encodings (everything else valid).
        c("vote_bad_escape_zz", "POST", V, self.vote() + b"&comment=%ZZ")
        c("vote_truncated_escape", "POST", V, self.vote() + b"&comment=abc%4")
        c("vote_raw_invalid_utf8", "POST", V, self.vote() + b"&comment=\xff\xfe")
        c("vote_escaped_invalid_utf8", "POST", V, self.vote() + b"&comment=%FF%FE")
        c("vote_overlong_utf8", "POST", V, self.vote() + b"&comment=%C0%AF")
        c("vote_surrogate_utf8", "POST", V, self.vote() + b"&comment=%ED%A0%80")
        c("vote_invalid_utf8_key", "POST", V, self.vote() + b"&\xff=1")
        c("vote_key_without_equals", "POST", V, self.vote() + b"&junk")
        c("vote_empty_key", "POST", V, self.vote() + b"&=x")
        c("vote_bare_equals", "POST", V, self.vote() + b"&=")
        c("vote_duplicate_choice", "POST", V, self.vote([("choice", "3")]))
        c("vote_duplicate_csrf", "POST", V, self.vote([("csrf", self.csrf)]))
        c("vote_duplicate_assignment", "POST", V, self.vote([("assignment", self.pending)]))
        c("vote_duplicate_encoded_key", "POST", V, self.vote() + b"&cho%69ce=3")
        c("vote_nul_in_key", "POST", V, self.vote() + b"&cho%00ice=1")

        # Choices.
        for name, value in (("0", "0"), ("4", "4"), ("minus1", "-1"), ("1_5", "1.5"), ("abc", "abc"), ("empty", ""),
                            ("huge", "9" * 30), ("fullwidth", "\uff11"), ("space_inside", "1 2"), ("hex", "0x1"),
                            ("leading_space", " 1")):
            c("vote_choice_" + name, "POST", V, self.vote(choice=value))
        c("vote_choice_missing", "POST", V, self.vote(choice=None))

        # Assignments.
        c("vote_assignment_unknown", "POST", V, self.vote(assignment=secrets.token_hex(16)))
        c("vote_assignment_malformed", "POST", V, self.vote(assignment="abc"))
        c("vote_assignment_uppercase", "POST", V,
          self.vote(assignment=self.pending.upper() if self.pending.upper() != self.pending else "G" + self.pending[1:]))
        c("vote_assignment_too_long", "POST", V, self.vote(assignment=self.pending + "0"))
        c("vote_assignment_missing", "POST", V, self.vote(assignment=None))
        c("vote_assignment_empty", "POST", V, self.vote(assignment=""))
        c("vote_assignment_sql", "POST", V, self.vote(assignment="' OR '1'='1"))
        c("vote_assignment_nul_suffix", "POST", V, self.vote(assignment=self.pending + "\x00"))
        c("vote_other_raters_assignment", "POST", V, self.vote(assignment=self.other_assignment))
        c("vote_other_raters_assignment_and_csrf", "POST", V,
          self.vote(assignment=self.other_assignment, csrf=self.other_csrf))
        c("other_votes_raters_voted_assignment", "POST", "/r/%s/vote" % O,
          form([("csrf", self.other_csrf), ("assignment", self.voted), ("choice", "2")]))
        c("other_votes_raters_pending_assignment", "POST", "/r/%s/vote" % O,
          form([("csrf", self.other_csrf), ("assignment", self.pending), ("choice", "2")]))

        # Extra fields.
        c("vote_extra_field_rater", "POST", V, self.vote([("rater", "2")]))
        c("vote_extra_field_excluded", "POST", V, self.vote([("excluded", "1")]))
        c("exclude_extra_field", "POST", X, self.exclusion() + b"&choice=1")

        # Admin.
        c("exclude_bad_admin_csrf", "POST", X, self.exclusion(csrf=secrets.token_hex(16)))
        c("exclude_raters_csrf", "POST", X, self.exclusion(csrf=self.csrf))
        c("exclude_missing_csrf", "POST", X, self.exclusion(csrf=None))
        c("exclude_nonexistent_rater", "POST", X, self.exclusion(rater=str(max(self.rater_ids) + 1000)))
        c("exclude_rater_0", "POST", X, self.exclusion(rater="0"))
        c("exclude_rater_negative", "POST", X, self.exclusion(rater="-1"))
        c("exclude_rater_int64_max", "POST", X, self.exclusion(rater="9223372036854775807"))
        c("exclude_rater_not_a_number", "POST", X, self.exclusion(rater="abc"))
        c("exclude_rater_fraction", "POST", X, self.exclusion(rater="1.5"))
        c("exclude_rater_huge", "POST", X, self.exclusion(rater="9" * 40))
        c("exclude_rater_missing", "POST", X, self.exclusion(rater=None))
        c("exclude_excluded_2", "POST", X, self.exclusion(excluded="2"))
        c("exclude_excluded_true", "POST", X, self.exclusion(excluded="true"))
        c("exclude_excluded_empty", "POST", X, self.exclusion(excluded=""))
        c("exclude_excluded_missing", "POST", X, self.exclusion(excluded=None))
        c("exclude_duplicate_rater", "POST", X, self.exclusion() + b"&rater=" + str(self.some_rater).encode())
        c("exclude_unknown_admin_token", "POST", "/admin/%s/exclude" % unknown, self.exclusion())

        # Prolific entry: only invalid ids (a valid one would make a rater).
        for name, query in (("missing", ""), ("empty", "?PROLIFIC_PID="), ("too_long", "?PROLIFIC_PID=" + "a" * 65),
                            ("very_long", "?PROLIFIC_PID=" + "a" * 5000), ("dash", "?PROLIFIC_PID=abc-def"),
                            ("underscore", "?PROLIFIC_PID=abc_def"), ("space", "?PROLIFIC_PID=abc%20def"),
                            ("plus", "?PROLIFIC_PID=abc+def"), ("unicode", "?PROLIFIC_PID=%C3%A4bc"),
                            ("fullwidth", "?PROLIFIC_PID=%EF%BC%A1%EF%BC%A2"),
                            ("arabic_digits", "?PROLIFIC_PID=%D9%A1%D9%A2%D9%A3"),
                            ("combining_mark", "?PROLIFIC_PID=abc%CC%81"), ("nul", "?PROLIFIC_PID=abc%00"),
                            ("traversal", "?PROLIFIC_PID=..%2F..%2Fadmin"), ("script", "?PROLIFIC_PID=%3Cscript%3E"),
                            ("bad_escape", "?PROLIFIC_PID=abc%ZZ"), ("lowercase_key", "?prolific_pid=abc")):
            c("prolific_" + name, "GET", "/p" + query)

        # Raw sockets: a huge header, a huge URL, HTTP/1.0, pipelined garbage, smuggling shapes.
        hp = self.hostport.encode()
        bad_vote = self.vote(choice="0")
        self.raw_case("raw_huge_header", b"GET /r/%s HTTP/1.1\r\nHost: %s\r\nX-Big: %s\r\n\r\n" % (R.encode(), hp, b"a" * 100000))
        self.raw_case("raw_huge_url", b"GET /r/%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (b"a" * 100000, hp))
        self.raw_case("raw_garbage_line", b"HELLO THERE\r\n\r\n")
        self.raw_case("raw_binary_tls_hello", bytes.fromhex("16030100a5010000a10303") + bytes(range(64)))
        self.raw_case("raw_http10_unknown_token", b"GET /r/%s HTTP/1.0\r\n\r\n" % unknown.encode())
        self.raw_case("raw_http10_vote_bad_choice",
                      b"POST %s HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
                      % (V.encode(), len(bad_vote), bad_vote))
        self.raw_case("raw_http09_request", b"GET /r/%s\r\n\r\n" % R.encode())
        self.raw_case("raw_version_9_9", b"GET /r/%s HTTP/9.9\r\nHost: %s\r\n\r\n" % (R.encode(), hp))
        self.raw_case("raw_pipelined_bad_vote_then_garbage",
                      b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: %d\r\n\r\n%s\x00\x01GARBAGE \xff\r\n\r\n" % (V.encode(), hp, len(bad_vote), bad_vote))
        self.raw_case("raw_pipelined_replay_then_garbage",
                      b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: %d\r\n\r\n%sNOT HTTP AT ALL\r\n\r\n"
                      % (V.encode(), hp, len(self.legit_body), self.legit_body))
        self.raw_case("raw_content_length_and_chunked",
                      b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (V.encode(), hp))
        self.raw_case("raw_two_content_lengths",
                      b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: %d\r\nContent-Length: 3\r\n\r\n%s" % (V.encode(), hp, len(bad_vote), bad_vote))
        self.raw_case("raw_negative_content_length",
                      b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: -5\r\n\r\n%s" % (V.encode(), hp, bad_vote))
        self.raw_case("raw_declared_oversize_short_body",
                      b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 100000\r\n\r\n%s" % (V.encode(), hp, bad_vote))
        self.raw_case("raw_short_content_length_rest_garbage",
                      b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 10\r\n\r\n%s" % (V.encode(), hp, self.vote() + b"\r\n\r\n"))
        self.raw_case("raw_bad_chunk_size",
                      b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n" % (V.encode(), hp))
        self.raw_case("raw_header_without_colon", b"GET /r/%s HTTP/1.1\r\nHost: %s\r\nBadHeaderLine\r\n\r\n" % (R.encode(), hp))
        self.raw_case("raw_bare_lf", b"GET /r/%s HTTP/1.1\nHost: %s\n\n" % (R.encode(), hp))


if __name__ == "__main__":
    sys.exit(main())
