"""Where Bangfu is reached from outside: the configured base URL, read here and
nowhere else, and the links built on it (a case on the reviewer's desk, the
desk's queue, the verification page of a printed paper). Shell: reads the
environment.

The base URL is ``BANGFU_BASE_URL`` (default ``http://127.0.0.1:8000``): the
address users open in a browser, which is not always the address ``bangfu
serve`` listens on (a portal's reverse proxy, a path prefix such as
``https://portal.example.org/bangfu``). Messages, printed QR codes and pages
all take it from :func:`base_url`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

from workflow.errors import UsageError

ENV = "BANGFU_BASE_URL"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
#: hosts on which a plain-http base URL still gets cookies without ``Secure``
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def base_url(environ: Mapping[str, str] | None = None) -> str:
    """The configured base URL, without a trailing slash.

    Raises:
        UsageError: the value is not an absolute http(s) URL, or carries a query or a
            fragment (links are built by appending paths to it).
    """
    env = os.environ if environ is None else environ
    raw = env.get(ENV, "").strip() or DEFAULT_BASE_URL
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or any(c.isspace() for c in raw):
        shown = raw[:80]
        raise UsageError(
            f"{ENV} must be an absolute http or https URL without a query, such as "
            f"https://portal.example.org/bangfu, not '{shown}'",
            f"{ENV} 应为不带查询参数的完整 http 或 https 地址，如 "
            f"https://portal.example.org/bangfu，而不是 '{shown}'")
    return raw.rstrip("/")


def is_local_http(url: str) -> bool:
    """Plain http on this machine (where a ``Secure`` cookie would never be sent back)."""
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS


def case_link(number: str, base: str | None = None) -> str:
    """The case on the reviewer's desk: ``{base}/desk/cases/{number}``."""
    return f"{base or base_url()}/desk/cases/{quote(number, safe='')}"


def desk_link(base: str | None = None) -> str:
    """The reviewer's desk (the queue, sorted by deadline)."""
    return f"{base or base_url()}/desk"


def verify_link(code: str, base: str | None = None) -> str:
    """The verification page of a printed paper: ``{base}/v/{code}`` (what its QR
    code encodes)."""
    return f"{base or base_url()}/v/{quote(code, safe='')}"
