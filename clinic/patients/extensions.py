"""What other apps add to a patient's page: each registers, in its ``AppConfig.ready()``, a
``provider(patient) -> dict`` whose keys the page's template reads (scheduling: the upcoming and
past appointments)."""

from collections.abc import Callable

from clinic.registry import Registry

patient_page: Registry[Callable[..., dict]] = Registry("patient page")
