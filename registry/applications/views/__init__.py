"""Pages of the certification workflow, one module per side: the applicant's (``applicant``), the body's review
and decisions (``body``), the verifier's evaluation (``evaluation``). They share the blueprint and the file page."""

from registry.applications.views import applicant, body, evaluation  # noqa: F401  (registers the routes)
from registry.applications.views.common import bp

__all__ = ["bp"]
