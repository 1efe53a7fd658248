"""Barter's documents, rendered like billing's (``billing.documents.render_pdf``)."""

from billing.documents import render_pdf
from billing.models import VisitLine

from .services import figures


def write_off_pdf(write_off) -> bytes:
    """The barter write-off: what the policy paid for, and the amount written off."""
    policy = write_off.policy
    lines = (VisitLine.objects.filter(payer_id=policy.payer_id, voided_at__isnull=True)
             .order_by("created", "id"))
    return render_pdf("billing/documents/write_off.html", {"write_off": write_off, "policy": policy, "lines": lines,
                                                           "figures": figures(policy)})
