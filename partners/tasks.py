from celery import shared_task


# Every few minutes, per clinic: the statistics' days changed since the last fold are folded
# again (partners.reports.days). Idempotent and cheap when nothing changed; until it runs, the
# changed days are read live, so the figures never wait for it.
@shared_task(name="partners.fold_statistics", ignore_result=True)
def fold_statistics() -> int:
    from .reports.days import fold_statistics as fold

    return fold()
