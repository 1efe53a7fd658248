"""A slow export for the fault tests, registered in the test process and (``-I``) in the worker."""

import time

from clinic.exports.registry import EXPORTERS, Exporter


def _build(params, handle, progress):
    steps = int(params.get("steps", 10))
    for step in range(steps):
        time.sleep(float(params.get("pause", 0.5)))
        progress(step * 100 // steps)
    handle.write(b"slow export done")


EXPORTERS.setdefault("test_slow", Exporter(
    kind="test_slow", title="Slow test export", permission="clinic.export_services", file_stem="slow",
    rows=lambda params: iter(()), count=lambda params: 0, build=_build, extension="txt",
))
