"""Bangfu over HTTP: a FastAPI app factory (``create_app``) for union portals and the
CLI over the network. Parses, authenticates, calls ``workflow.services``, renders
their views as JSON; errors as RFC 9457 problem details. No rules, no SQL."""

from __future__ import annotations

from api.app import create_app

__all__ = ["create_app"]
