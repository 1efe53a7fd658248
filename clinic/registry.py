"""A small typed registry: the extension point a lower app offers and the apps above it fill
from their ``AppConfig.ready()`` (registering twice — ``ready()`` may run again in tests — keeps one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, name: str):
        self.name = name
        self._items: list[T] = []

    def register(self, item: T) -> T:
        if item not in self._items:
            self._items.append(item)
        return item

    def unregister(self, item: T) -> None:
        if item in self._items:
            self._items.remove(item)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {len(self._items)}>"
