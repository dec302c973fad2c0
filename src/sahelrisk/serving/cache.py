"""Answers kept in memory: the one cache of the web app.

The same request on the same published week gets the same answer, so it is computed once and
kept; a request asked by many at once is computed by the first and shared. The least recently
asked answers go first once the cache is over its budget.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Answers"]

V = TypeVar("V")


def _one(_: object) -> int:
    return 1


def _same(value: V) -> V:
    return value


class Answers(Generic[V]):
    """A thread-safe, size-bounded cache with one computation per key at a time.

    Parameters
    ----------
    budget : int
        The most the answers may weigh together (the newest one is always kept).
    size : callable
        An answer's weight (default 1: ``budget`` is then a count).
    copy : callable
        What a caller gets: a copy of the kept answer (so no caller can change it for the next).
    """

    def __init__(self, budget: int, size: Callable[[V], int] = _one, copy: Callable[[V], V] = _same) -> None:
        self.budget, self.size, self.copy = budget, size, copy
        self._kept: OrderedDict[Hashable, V] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()
        self._flights: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The answer kept for ``key``, else ``make()`` kept and returned.

        Parameters
        ----------
        key : hashable
            What identifies the request (for a published week: its publication time too, so a
            week published again is computed afresh).
        make : callable
            Computes the answer; an error is raised to the caller and nothing is kept.

        Returns
        -------
        object
            A copy of the answer.
        """
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._kept:
                    self._kept.move_to_end(key)
                    return self.copy(self._kept[key])
            try:
                made = make()
                with self._lock:   # kept before the flight ends: a later request finds it
                    self._kept[key] = made
                    self._weight += self.size(made)
                    while len(self._kept) > 1 and self._weight > self.budget:
                        _, dropped = self._kept.popitem(last=False)
                        self._weight -= self.size(dropped)
            finally:
                with self._lock:
                    self._flights.pop(key, None)
            return self.copy(made)

    def __len__(self) -> int:
        return len(self._kept)
