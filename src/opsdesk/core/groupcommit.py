"""Group commit: concurrent callers in one process write their items in one transaction.

A web server that runs requests in threads (gunicorn's ``gthread`` workers) receives many creates at
once. Each would pay the same fixed cost alone: a dozen statements of reading rules and lists, taking a
number, appending to the audit chain, committing. ``GroupCommit.submit`` lets them share it. The first
caller to find nobody writing becomes the leader: it takes every item waiting (its own among them, up to
``max_batch``) and runs ``run_many`` on them in its own thread, on its own database connection; the
others wait for their result. While a leader writes, new items queue up, and the next leader takes
them all together. Nothing waits on a timer: alone, a caller writes its item at once, as a batch of one.

``run_many`` answers one result per item, in order: the item's value, or the exception to raise to
that caller (a refused item fails alone). If ``run_many`` itself raises (its transaction failed: a lost
deadlock, a constraint), every item of that batch is run again alone, so one bad item cannot sink the
others and each caller gets its own answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(eq=False)
class _Waiting(Generic[Item, Result]):
    item: Item
    done: bool = False
    value: Result | None = None
    error: BaseException | None = None
    taken: bool = False


class GroupCommit(Generic[Item, Result]):
    def __init__(self, run_many: Callable[[list[Item]], list[Result | BaseException]], *, max_batch: int = 64) -> None:
        self._run_many = run_many
        self._max_batch = max_batch
        self._queue: list[_Waiting[Item, Result]] = []
        self._leading = False
        self._changed = threading.Condition(threading.Lock())
        self.batches = 0  # how many batches were written (for benchmarks and tests)
        self.items = 0

    def submit(self, item: Item) -> Result:
        """Write ``item`` (with whatever else is waiting) and return its result, or raise its error."""
        waiting: _Waiting[Item, Result] = _Waiting(item)
        with self._changed:
            self._queue.append(waiting)
        while True:
            with self._changed:
                while not waiting.done and (self._leading or waiting.taken):
                    self._changed.wait()
                if waiting.done:
                    return self._answer(waiting)
                # Nobody writes and our item waits: lead a batch of the oldest items (ours among them, unless
                # more than max_batch wait before it: then we lead again after this one).
                self._leading = True
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch:]
                for taken in batch:
                    taken.taken = True
            try:
                self._write(batch)
            finally:
                with self._changed:
                    for taken in batch:
                        if not taken.done:  # the leader was interrupted (BaseException): never leave them waiting
                            taken.error = RuntimeError("the batch was interrupted before this item was written")
                            taken.done = True
                    self._leading = False
                    self._changed.notify_all()

    def _write(self, batch: list[_Waiting[Item, Result]]) -> None:
        self.batches += 1
        self.items += len(batch)
        try:
            results = self._run_many([w.item for w in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"run_many answered {len(results)} results for {len(batch)} items")
        except Exception as error:
            if len(batch) > 1:  # the batch's transaction failed: each item again, alone
                for waiting in batch:
                    self._write([waiting])
                return
            results = [error]
        for waiting, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                waiting.error = result
            else:
                waiting.value = result
            waiting.done = True

    @staticmethod
    def _answer(waiting: _Waiting[Item, Result]) -> Result:
        if waiting.error is not None:
            raise waiting.error
        return waiting.value  # type: ignore[return-value]
