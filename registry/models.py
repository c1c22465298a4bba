"""Every model of every domain, imported in one place for Alembic and the migration test."""

from registry.accounts.models import Invitation, User
from registry.audit.models import AuditEvent
from registry.database import Base
from registry.organisations.models import Organisation
from registry.products.models import Product
from registry.schemes.models import Scheme, SchemeVersion

__all__ = ["AuditEvent", "Base", "Invitation", "Organisation", "Product", "Scheme", "SchemeVersion", "User"]
