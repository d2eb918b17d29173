"""Headless Chromium for the browser tests: Debian's chromium driven by Playwright
(never a browser download), the artefacts folder screenshots go to, logging in
through the login form, and reading QR codes back from a screenshot."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.helpers.pages import PASSWORD

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]
#: an ordinary phone's screen, and an office computer's
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium under Playwright, closed after the block."""
    with sync_playwright() as pw:
        found = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield found
        finally:
            found.close()


def artifacts() -> Path:
    """Where screenshots go: ``BANGFU_ARTIFACTS``, default tests/artifacts/."""
    folder = Path(os.environ.get("BANGFU_ARTIFACTS") or ROOT / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(page: Page, base: str, user: str) -> None:
    """Log in through the form, as a person would."""
    page.goto(f"{base}/login")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/desk")


def qr_texts(png: bytes) -> list[str]:
    """What every QR code in a screenshot encodes (zxing-cpp), top to bottom."""
    import zxingcpp
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        found = zxingcpp.read_barcodes(image.convert("L"))
    ordered = sorted(found, key=lambda r: (r.position.top_left.y, r.position.top_left.x))
    return [r.text for r in ordered if r.format == zxingcpp.BarcodeFormat.QRCode]
