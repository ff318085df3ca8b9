"""QR codes as inline SVG (segno: pure Python, nothing fetched at run time)."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(url: str, scale: int = 4, title: str = "") -> Markup:
    """An inline ``<svg>`` QR code of ``url`` (error correction M), safe to put in a template as it is."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=scale, title=title or None, svgclass="qr", lineclass=None, omitsize=False)
    return Markup(svg)  # noqa: S704 - segno writes the SVG and escapes the title itself
