"""SQLAlchemy models. Importing this package registers every table on `Base.metadata`.

Each aggregate is a package whose `tables.py` holds its tables and whose other modules hold its
queries and commands (models/referrals/queries.py, models/clients/access.py, ...); concerns of one
file (audit, idempotency, webhooks, workflow starts) are single modules.
"""

from models import audit, idempotency, webhooks, workflow_starts  # noqa: F401
from models.accounts import api_clients  # noqa: F401
from models.accounts import tables as _accounts  # noqa: F401
from models.agencies import tables as _agencies  # noqa: F401
from models.clients import tables as _clients  # noqa: F401
from models.fhir import clients as _fhir_clients  # noqa: F401
from models.fhir import subscriptions as _fhir_subscriptions  # noqa: F401
from models.messages import tables as _messages  # noqa: F401
from models.referrals import tables as _referrals  # noqa: F401
from models.releases import tables as _releases  # noqa: F401
from models.reports import closed_loop_summary  # noqa: F401
from models.base import Base

__all__ = ["Base"]
