"""What every PDF OneThing renders needs: WeasyPrint, imported late, and a Jinja2 environment of templates.

WeasyPrint is imported only when a PDF is asked for: it is heavy, and it needs the system's Pango library
(≥ 1.44), which a server that never renders a PDF need not have. Templates are autoescaped: a reason or a
name is text, never markup. Chinese text needs a CJK font on the machine (``fonts-noto-cjk``): templates ask
for "Noto Sans CJK SC", then "Noto Sans SC"; without either, Pango falls back to whatever fontconfig offers,
which may draw boxes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader


def load_weasyprint() -> Any:
    """Import WeasyPrint; raises ``RuntimeError`` naming which of its two parts is missing."""
    try:
        import weasyprint
    except ImportError as error:
        raise RuntimeError(
            "PDF export needs the Python package 'weasyprint' (pip install weasyprint): " + str(error)
        ) from error
    except OSError as error:  # weasyprint is there, but cffi could not load libpango / libpangoft2
        raise RuntimeError(
            "PDF export needs the system Pango library (≥ 1.44; Debian/Ubuntu: apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0), which WeasyPrint could not load: " + str(error)
        ) from error
    return weasyprint


def template_environment(folder: Path, **filters: Callable[..., str]) -> Environment:
    """An autoescaping Jinja2 environment over ``folder`` with these filters."""
    environment = Environment(loader=FileSystemLoader(folder), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(filters)
    return environment
