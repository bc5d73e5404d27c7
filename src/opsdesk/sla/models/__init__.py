"""Models of the sla app: agreements and targets (agreements.py), clocks (clocks.py)."""

from .agreements import (
    AgreementTarget,
    AgreementThreshold,
    OperationalTarget,
    ServiceAgreement,
    ServiceLevelAgreement,
)
from .clocks import (
    CalendarWatermark,
    ClockKind,
    FiringStatus,
    GroupSpan,
    IncidentClock,
    ThresholdFiring,
    TickMarker,
)

__all__ = [
    "AgreementTarget", "AgreementThreshold", "CalendarWatermark", "ClockKind", "FiringStatus", "GroupSpan", "IncidentClock",
    "OperationalTarget", "ServiceAgreement", "ServiceLevelAgreement", "ThresholdFiring", "TickMarker",
]
