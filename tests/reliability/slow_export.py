"""A slow export for the fault tests, registered in the test process and (``-I``) in the worker."""

import time

from clinic.exports.base import BaseExporter
from clinic.exports.registry import EXPORTERS, register


class SlowExporter(BaseExporter):
    identifier = "test_slow"
    verbose_name = "Slow test export"
    permission = "clinic.export_services"
    file_stem = "slow"
    extension = "txt"

    def options(self, data):
        return {key: data[key] for key in ("steps", "pause") if key in data}

    def rows(self, params):
        return iter(())

    def count(self, params):
        return 0

    def build(self, params, handle, progress):
        steps = int(params.get("steps", 10))
        for step in range(steps):
            time.sleep(float(params.get("pause", 0.5)))
            progress(step * 100 // steps)
        handle.write(b"slow export done")


if "test_slow" not in EXPORTERS:
    register(SlowExporter)
