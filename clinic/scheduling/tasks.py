from clinic.celery import app

from . import services


@app.task(name="clinic.scheduling.tasks.send_appointment_reminders")
def send_appointment_reminders() -> int:
    return services.send_due_reminders()
