from celery import shared_task


# Daily and idempotent ("do what is due"): on the 1st it makes M-1's statements; on the other
# days it finds them made and does nothing (a unique constraint plus a lock, not hope).
@shared_task(name="reconciliation.generate_due_statements", ignore_result=True)
def generate_due_statements() -> int:
    from .statements import generate_due_statements as generate

    return len(generate())


# Daily and idempotent: in January, April, July and October (or an off-cycle window) each
# platform with verified statements gets this quarter's batch proposal, once.
@shared_task(name="reconciliation.propose_settlements", ignore_result=True)
def propose_settlements() -> int:
    from .settlement import propose_batches

    return len(propose_batches())


# A manager's "Generate" on the statements page: the same service, in the background; safe to
# run twice (the second run finds the statement made).
@shared_task(name="reconciliation.generate_statement", ignore_result=True)
def generate_statement(platform_id: int, month: str, actor_id: int | None = None) -> None:
    from datetime import date

    from django.contrib.auth import get_user_model

    from platforms.catalogue.models import Platform

    from .statements import generate_statement as generate

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    generate(Platform.objects.get(pk=platform_id), date.fromisoformat(month), actor=actor)
