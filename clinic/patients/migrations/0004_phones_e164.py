"""Stored phones to E.164, read with the clinic's country (its time zone's) as the region.

A phone that cannot be read as a valid number is left exactly as stored and reported on
the migration's output (clinic, patient number, phone), never guessed.
"""

from django.db import connection, migrations


def clinic_time_zone(schema_name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT time_zone FROM public.tenants_clinic WHERE schema_name = %s", [schema_name])
        row = cursor.fetchone()
    return row[0] if row else ""


def phones_to_e164(apps, schema_editor):
    from clinic.patients.models import search_text_of
    from clinic.phones import region_of_zone, to_e164

    Patient = apps.get_model("patients", "Patient")
    region = region_of_zone(clinic_time_zone(schema_editor.connection.schema_name))
    unread = []
    for patient in Patient.objects.exclude(phone="").order_by("number").iterator():
        e164 = to_e164(patient.phone, region)
        if e164 is None:
            unread.append(patient)
            continue
        if e164 != patient.phone:
            patient.phone = e164
            patient.search_text = search_text_of(patient)
            patient.save(update_fields=["phone", "search_text"])
    if unread:
        print(f"\n  {schema_editor.connection.schema_name}: {len(unread)} phone(s) could not be read as a valid "
              f"number and were left as stored (fix them on the patient's page):")
        for patient in unread:
            print(f"    patient #{patient.number}: {patient.phone!r}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_flag_default_colour")]

    operations = [migrations.RunPython(phones_to_e164, migrations.RunPython.noop, elidable=False)]
