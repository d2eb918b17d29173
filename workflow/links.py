"""Where Bangfu's pages are reached: the one place the configured base URL is read
(``BANGFU_BASE_URL``, default ``http://127.0.0.1:8000``), and the links built on it
(a case on the reviewer's desk, the verification page of a printed paper)."""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit

from workflow.errors import UsageError

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
#: hosts on which a plain-http base URL still gets cookies without ``Secure``
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def base_url() -> str:
    """The configured base URL, without a trailing slash.

    Raises:
        UsageError: it is not an http(s) URL with a host.
    """
    text = os.environ.get("BANGFU_BASE_URL", "").strip() or DEFAULT_BASE_URL
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment:
        raise UsageError(f"BANGFU_BASE_URL must be an http(s) URL such as "
                         f"https://bangfu.example.gov.cn, not '{text[:80]}'",
                         f"BANGFU_BASE_URL 应为 http(s) 网址，如 https://bangfu.example.gov.cn，"
                         f"而不是 '{text[:80]}'")
    return text.rstrip("/")


def is_local_http(url: str) -> bool:
    """Plain http on this machine (where a ``Secure`` cookie would never be sent back)."""
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS


def case_link(number: str, base: str | None = None) -> str:
    """The case on the reviewer's desk."""
    return f"{base or base_url()}/desk/cases/{quote(number, safe='')}"


def verify_link(code: str, base: str | None = None) -> str:
    """The verification page of a printed paper (what its QR code encodes)."""
    return f"{base or base_url()}/v/{quote(code, safe='')}"
