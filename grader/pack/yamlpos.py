"""YAML loading that remembers where each value came from, so pack errors can say file:line."""
from __future__ import annotations

from typing import Any

import yaml


class Located(dict):
    """A mapping that also knows the line and column of each of its keys and of itself."""

    line: int = 0
    column: int = 0
    key_positions: dict[str, tuple[int, int]]


class LocatedList(list):
    """A sequence that knows the position of each item."""

    line: int = 0
    column: int = 0
    item_positions: list[tuple[int, int]]


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):  # noqa: D401 - yaml's hook
        mapping = Located()
        mapping.line, mapping.column = node.start_mark.line + 1, node.start_mark.column + 1
        mapping.key_positions = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_positions[key] = (key_node.start_mark.line + 1,
                                          key_node.start_mark.column + 1)
        return mapping

    def construct_sequence(self, node, deep=False):  # noqa: D401 - yaml's hook
        items = LocatedList(self.construct_object(child, deep=True) for child in node.value)
        items.line, items.column = node.start_mark.line + 1, node.start_mark.column + 1
        items.item_positions = [(c.start_mark.line + 1, c.start_mark.column + 1)
                                for c in node.value]
        return items


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)


def load(text: str) -> Any:
    """Parse YAML into plain dicts and lists that carry their positions."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def position(container: Any, key: Any = None) -> tuple[int, int]:
    """Where `container[key]` (or the container itself) stands in the file; (0, 0) if unknown."""
    if isinstance(container, Located) and key is not None and key in container.key_positions:
        return container.key_positions[key]
    if isinstance(container, LocatedList) and isinstance(key, int) and key < len(container.item_positions):
        return container.item_positions[key]
    return getattr(container, "line", 0), getattr(container, "column", 0)
