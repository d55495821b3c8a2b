"""Headers on every answer, errors and unrouted 404s included (added by `lml.platform.http.edge`):

- `X-Content-Type-Options: nosniff`: a browser takes a JSON or text answer for what it says it is,
  never for a script or a page;
- `Referrer-Policy: no-referrer`: nothing of our URLs (ids, cursors) leaks to where a page links;
- `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`: no page may frame an answer;
- `Strict-Transport-Security` in production, where the API is only reached over HTTPS;
- `Server: api`: granian adds `server: granian` to an answer that has no Server header (it cannot
  be turned off: emmett-framework/granian#594), and the stack's name helps nobody but an attacker.
  Answers granian makes itself (a request it cannot parse) still name it."""

from __future__ import annotations

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"server", b"api"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """The headers every answer gets; a route's own values of them give way (one value of each)."""

    def __init__(self, *, production: bool) -> None:
        self.headers = (*_ALWAYS, HSTS) if production else _ALWAYS
        self.names = frozenset(name for name, _ in self.headers)
