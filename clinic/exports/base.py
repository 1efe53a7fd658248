"""What an export is (as pretix's ``BaseExporter``): a class that belongs to its app, registered
from that app's ``AppConfig.ready()`` (``registry.register``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .writer import WRITERS, Progress


class BaseExporter:
    """One kind of file built in the background.

    - ``identifier``: the export's kind (in URLs and the ``Export`` row); ``verbose_name``: its title;
      ``permission``: who may start it; ``file_stem`` and ``extension``: the file's name.
    - ``options(data)``: the request's parameters (a query dict) checked and turned into the
      export's (JSON) params, or a ``DomainError`` with a message fit to show.
    - ``rows(params)`` yields the sheet's rows (lists of cells); ``count(params)`` estimates how
      many, for the progress bar.
    - ``build(params, handle, progress)`` writes the file: by default the rows through the one
      writer (``writer.py``); a document (a PDF) overrides it.
    """

    identifier: str = ""
    verbose_name: object = ""
    permission: str = ""
    file_stem: str = ""
    extension: str = "xlsx"

    def options(self, data: Mapping) -> dict:
        return {}

    def rows(self, params: Mapping) -> Iterator[list]:
        raise NotImplementedError

    def count(self, params: Mapping) -> int:
        return sum(1 for _row in self.rows(params))

    def build(self, params: Mapping, handle, progress: Progress) -> None:
        WRITERS[self.extension](self.rows(params), handle, title=str(self.verbose_name), progress=progress,
                                total=self.count(params))

    # The names the templates read.
    @property
    def kind(self) -> str:
        return self.identifier

    @property
    def title(self):
        return self.verbose_name
