"""Model fields shared by the apps."""

from django.db import models


def SequenceNumberField(verbose_name, sequence: str):  # noqa: N802 - reads as a field class
    """A number the database draws from ``sequence`` (a sequence in each clinic's schema,
    created by a migration): unique, never reused, never typed in."""
    return models.BigIntegerField(
        verbose_name,
        unique=True,
        editable=False,
        db_default=models.Func(models.Value(sequence), function="nextval", output_field=models.BigIntegerField()),
    )
