"""SQLAlchemy models. Importing this package registers every table on `Base.metadata`."""

from models import accounts, api_clients, audit, clients, closed_loop_summary, messages, org, referrals, roi  # noqa: F401
from models.base import Base

__all__ = ["Base"]
