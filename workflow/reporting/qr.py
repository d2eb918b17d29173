"""QR codes of the verification links printed on papers (segno). Files and text
only; no engine.

Each data row of a disbursement form or a public notice carries the code of its
case (``workflow.core.paper_codes``); the QR code encodes
``{base_url}/v/{code}`` (``workflow.links``) and the code itself is printed
under it, for whoever would rather type it. Error correction M (15 %): a
signed, folded paper still scans.
"""

from __future__ import annotations

import io

import segno

from workflow.links import verify_link

#: error correction of the printed codes
ERROR = "m"
#: blank modules around the symbol (the cell's padding adds to it)
BORDER = 2


def qr_svg(url: str, title: str) -> str:
    """An inline SVG of ``url`` as a QR code, sized by CSS (class ``qr``)."""
    return str(segno.make(url, error=ERROR).svg_inline(
        scale=1, border=BORDER, omitsize=True, svgclass="qr", lineclass=None, title=title))


def qr_png(url: str, scale: int = 2) -> bytes:
    """A PNG of ``url`` as a QR code, ``scale`` pixels a module."""
    out = io.BytesIO()
    segno.make(url, error=ERROR).save(out, kind="png", scale=scale, border=BORDER)
    return out.getvalue()


def paper_url(code: str, base: str) -> str:
    """What the QR code of a paper's row encodes."""
    return verify_link(code, base)
