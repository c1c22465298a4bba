"""The public disclosure pages, one module per audience: the label page and its documents (``label``), the
catalogue, comparison, organisation and statistics pages (``catalogue``), and what platforms embed and call
(``platforms``). They share the blueprint in ``common``."""

from registry.disclosure.views import catalogue, label, notices, platforms  # noqa: F401  (registers the routes)
from registry.disclosure.views.common import bp

__all__ = ["bp"]
