"""``needs_weasyprint``: PDF rendering tests skip, saying so, only where WeasyPrint (or its Pango) cannot import."""

from __future__ import annotations

import pytest

try:
    import weasyprint  # noqa: F401
except (ImportError, OSError) as error:  # the package, or the Pango library it loads
    WEASYPRINT_MISSING: str | None = f"weasyprint cannot import ({error}); PDF rendering is not testable here"
else:
    WEASYPRINT_MISSING = None

needs_weasyprint = pytest.mark.skipif(WEASYPRINT_MISSING is not None, reason=WEASYPRINT_MISSING or "")
