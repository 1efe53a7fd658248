from celery import shared_task

from . import services


@shared_task(name="clinic.scheduling.tasks.send_appointment_reminders")
def send_appointment_reminders() -> int:
    return services.send_due_reminders()
