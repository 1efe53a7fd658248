from django.conf import settings
from django.db import connection


def health_report() -> tuple[dict, bool]:
    report: dict[str, str] = {}
    healthy = True
    try:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = "ok"
    except Exception:
        report["database"] = "unavailable"
        healthy = False
    if settings.REDIS_URL:
        try:
            import redis

            client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
            client.ping()
            report["redis"] = "ok"
        except Exception:
            report["redis"] = "unavailable"
            healthy = False
    else:
        report["redis"] = "not configured"
    report["status"] = "ok" if healthy else "unavailable"
    return report, healthy
