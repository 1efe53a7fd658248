"""What other apps add to a patient's page: each registers, in its ``AppConfig.ready()``, a
``provider(patient) -> dict`` whose keys the page's template reads (scheduling: the upcoming and
past appointments). Apps may also add ``page_fragments``: templates rendered on the page with its
context (platform orders: the patient's orders)."""

from collections.abc import Callable

from clinic.registry import Registry

patient_page: Registry[Callable[..., dict]] = Registry("patient page")
page_fragments: Registry[str] = Registry("patient page fragments")
