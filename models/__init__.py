"""SQLAlchemy models. Importing this package registers every table on `Base.metadata`."""

from models import accounts, audit, clients, closed_loop_summary, messages, org, referrals, roi, workflow_starts  # noqa: F401
from models.base import Base

__all__ = ["Base"]
