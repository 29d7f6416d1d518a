"""The CapabilityStatement at `/fhir/metadata`, built from what the server really has: the
resource types of ``api.fhir.resources.RESOURCES`` with their search parameters and includes, and
the interactions the router mounts for each."""

from __future__ import annotations

from datetime import datetime

from fhir_core.fhirabstractmodel import FHIRAbstractModel

from api.fhir.mapping import SDOHCC, Systems
from api.fhir.models import FHIR_VERSION, build
from api.fhir.notifications import BACKPORT, TOPICS
from api.fhir.resources import RESOURCES

SOFTWARE_VERSION = "0.1.0"
COORDINATION_PLATFORM = f"{SDOHCC}/CapabilityStatement/SDOHCC-CoordinationPlatform|3.0.0"
READ_INTERACTIONS = ("read", "search-type")


def capability_statement(systems: Systems, published: datetime,
                         interactions: dict[str, tuple[str, ...]] | None = None) -> FHIRAbstractModel:
    """What this server does, for a client to discover; ``interactions`` adds the interactions
    beyond read and search of some types (Task create and update, once mounted)."""
    extra = interactions or {}
    resources = []
    for kind, spec in RESOURCES.items():
        params = spec.all_params(systems)
        entry = {
            "type": kind,
            "supportedProfile": [spec.profile],
            "interaction": [{"code": c} for c in (*extra.get(kind, ()), *READ_INTERACTIONS)],
            "versioning": "no-version",
            "readHistory": False,
            "searchParam": [{"name": p.name, "definition": p.definition, "type": p.type,
                             **({"documentation": p.documentation} if p.documentation else {})}
                            for p in params.values()],
        }
        if spec.includes:
            entry["searchInclude"] = list(spec.includes)  # the include names
        resources.append(entry)

    resources.append({
        "type": "Subscription",
        "supportedProfile": [f"{BACKPORT}/StructureDefinition/backport-subscription"],
        "extension": [{"url": f"{BACKPORT}/StructureDefinition/capabilitystatement-subscriptiontopic-canonical",
                       "valueCanonical": url} for url in TOPICS],
        "interaction": [{"code": "create"}, {"code": "read"}, {"code": "delete"}],
        "documentation": "R5 Subscriptions Backport: rest-hook, id-only, handshake and heartbeat; the filter "
                         "criteria are a search of the topic's type.",
    })
    return build("CapabilityStatement", {
        "url": f"{systems.base}/metadata",
        "name": "CONNECT",
        "title": "CONNECT closed-loop referral network",
        "status": "active",
        "date": published.isoformat(),
        "publisher": "CONNECT",
        "kind": "instance",
        "instantiates": [COORDINATION_PLATFORM],
        "software": {"name": "CONNECT", "version": SOFTWARE_VERSION},
        "implementation": {"description": "CONNECT's FHIR R4 API", "url": systems.base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Searches refuse parameters they do not support (400 with an OperationOutcome). "
                             "Pages: _count (at most 100) and _page; the Bundle links first, previous, next and last.",
            "security": {
                "cors": False,
                "description": "Bearer access tokens from CONNECT (its OAuth 2.0 token endpoint, /oauth/token) "
                               "or a personal API token; every read is authorised as in CONNECT's JSON API: the "
                               "client's program, its role and the client's releases of information.",
            },
            "resource": resources,
            "interaction": [{"code": "transaction", "documentation": "An inbound referral: a Bundle of Patient, "
                                                                     "Consent, ServiceRequest and Task creates."}],
        }],
    })
