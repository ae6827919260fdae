"""BatchPutContact-compatible core plus the outbound campaign APIs (v1 and v2).

Imports only ``sim.domain``; knows nothing of SimPy or SQL. See docs/connect.md.
"""

from sim.connect.campaigns import Campaign
from sim.connect.config import CAMPAIGNS_PRINCIPAL, CoreConfig, Faults, Quota, Quotas
from sim.connect.errors import ServiceError
from sim.connect.service import OutboundCore

__all__ = [
    "CAMPAIGNS_PRINCIPAL",
    "Campaign",
    "CoreConfig",
    "Faults",
    "OutboundCore",
    "Quota",
    "Quotas",
    "ServiceError",
]
