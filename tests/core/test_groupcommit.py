"""Group commit: concurrent callers share one ``run_many``, each gets its own answer (no database here)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from opsdesk.core.groupcommit import GroupCommit

WAIT = 10  # seconds: only reached if something hangs


class Recorder:
    """A ``run_many`` that records each batch it is given and answers ``answer(item)`` per item. The first
    batch waits on ``release`` (so the callers that arrive meanwhile pile up behind it)."""

    def __init__(self, answer: Callable[[Any], Any] = lambda item: f"done {item}", *, fail_if: Callable[[list], bool]
                 = lambda batch: False) -> None:
        self.batches: list[list[Any]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.answer = answer
        self.fail_if = fail_if
        self._lock = threading.Lock()

    def __call__(self, items: list[Any]) -> list[Any]:
        with self._lock:
            self.batches.append(list(items))
            first = len(self.batches) == 1
        if first:
            self.entered.set()
            assert self.release.wait(WAIT), "the first batch was never released"
        time.sleep(0.005)
        if self.fail_if(items):
            raise RuntimeError(f"the transaction of {items} failed")
        return [self.answer(item) for item in items]


def queued(commit: GroupCommit, count: int) -> None:
    """Wait until ``count`` items wait in the queue behind the running leader."""
    deadline = time.monotonic() + WAIT
    while len(commit._queue) < count:
        assert time.monotonic() < deadline, f"only {len(commit._queue)} of {count} items queued"
        time.sleep(0.001)


def three_callers_behind_a_held_batch(commit: GroupCommit, recorder: Recorder, call: Callable[[int], None]) -> None:
    """Items 0, 1, 2 each from its own thread (named after it): 0 leads a batch held open until 1 and 2 wait
    in the queue, then everything is let go; fails if any caller still waits afterwards."""
    threads = [threading.Thread(target=call, args=(item,), name=str(item)) for item in range(3)]
    threads[0].start()
    assert recorder.entered.wait(WAIT)
    for index in (1, 2):
        threads[index].start()
        queued(commit, index)
    recorder.release.set()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive(), "a caller still waits for its result"


def submit_all(commit: GroupCommit, recorder: Recorder, items: list[Any]) -> dict[Any, tuple[str, Any]]:
    """The first item is submitted alone and holds its batch open until every other item has been submitted
    by its own thread and is waiting; answers per item ("value", result) or ("error", exception)."""
    outcomes: dict[Any, tuple[str, Any]] = {}
    lock = threading.Lock()

    def call(item: Any) -> None:
        try:
            outcome: tuple[str, Any] = ("value", commit.submit(item))
        except Exception as error:  # noqa: BLE001 - compared below
            outcome = ("error", error)
        with lock:
            outcomes[item] = outcome

    first = threading.Thread(target=call, args=(items[0],))
    first.start()
    assert recorder.entered.wait(WAIT)
    others = [threading.Thread(target=call, args=(item,)) for item in items[1:]]
    for thread in others:
        thread.start()
    queued(commit, len(others))
    recorder.release.set()
    for thread in [first, *others]:
        thread.join(WAIT)
        assert not thread.is_alive(), "a caller never got its answer"
    return outcomes


def test_concurrent_callers_are_written_together_and_each_gets_its_own_result() -> None:
    recorder = Recorder()
    commit = GroupCommit(recorder)
    items = list(range(8))

    outcomes = submit_all(commit, recorder, items)

    assert outcomes == {item: ("value", f"done {item}") for item in items}
    assert recorder.batches[0] == [0]
    assert sorted(recorder.batches[1]) == list(range(1, 8))  # everyone who waited, in one batch
    assert len(recorder.batches) == 2
    assert (commit.batches, commit.items) == (2, 8)


class HoldBack(threading.Condition):
    """The group commit's condition, except that after being woken every thread but ``first`` waits until
    ``first`` has become a leader and run a batch: who leads next is decided, not left to the scheduler."""

    def __init__(self, first: str, led: threading.Event) -> None:
        super().__init__(threading.Lock())
        self.first, self.led = first, led

    def wait(self, timeout: float | None = None) -> bool:
        woken = super().wait(timeout)
        if threading.current_thread().name != self.first and not self.led.is_set():
            self.release()
            try:
                self.led.wait(2)
            finally:
                self.acquire()
        return woken


def test_a_leader_whose_item_is_beyond_max_batch_still_gets_its_own_result() -> None:
    led = threading.Event()
    recorder = Recorder()
    commit = GroupCommit(recorder, max_batch=1)
    commit._changed = HoldBack("2", led)  # item 2's caller (the back of the queue) leads after item 0's batch
    original = recorder.__call__

    def run_many(items: list[int]) -> list[str]:
        if threading.current_thread().name == "2":
            led.set()
        return original(items)

    commit._run_many = run_many
    outcomes: dict[int, Any] = {}

    def call(item: int) -> None:
        outcomes[item] = commit.submit(item)

    three_callers_behind_a_held_batch(commit, recorder, call)

    assert recorder.batches[:2] == [[0], [1]]
    assert outcomes == {0: "done 0", 1: "done 1", 2: "done 2"}  # item 2's caller leads until its own is written


def test_an_error_answered_for_one_item_is_raised_to_its_caller_only() -> None:
    refused = ValueError("item 3 is refused")
    recorder = Recorder(lambda item: refused if item == 3 else f"done {item}")
    commit = GroupCommit(recorder)

    outcomes = submit_all(commit, recorder, list(range(6)))

    assert outcomes.pop(3) == ("error", refused)
    assert outcomes == {item: ("value", f"done {item}") for item in (0, 1, 2, 4, 5)}
    assert len(recorder.batches) == 2  # the refusal did not make anyone retry


def test_when_a_batch_fails_each_item_is_retried_alone() -> None:
    recorder = Recorder(fail_if=lambda batch: "bad" in batch)
    commit = GroupCommit(recorder)
    items = ["first", "a", "bad", "b", "c"]

    outcomes = submit_all(commit, recorder, items)

    kind, error = outcomes.pop("bad")
    assert kind == "error" and isinstance(error, RuntimeError) and "['bad'] failed" in str(error)
    assert outcomes == {item: ("value", f"done {item}") for item in ("first", "a", "b", "c")}
    together = recorder.batches[1]
    assert sorted(together) == ["a", "b", "bad", "c"]
    assert recorder.batches[2:] == [[item] for item in together]  # then each alone, in the batch's order


def test_a_caller_alone_is_written_at_once_as_a_batch_of_one() -> None:
    recorder = Recorder()
    recorder.release.set()
    commit = GroupCommit(recorder)

    started = time.monotonic()
    assert commit.submit("only") == "done only"
    assert commit.submit("next") == "done next"

    assert time.monotonic() - started < 1
    assert recorder.batches == [["only"], ["next"]]
    assert (commit.batches, commit.items) == (2, 2)


def test_a_caller_alone_whose_run_fails_gets_the_error() -> None:
    def run_many(items: list[str]) -> list[str]:
        raise ConnectionError("database went away")

    with pytest.raises(ConnectionError, match="went away"):
        GroupCommit(run_many).submit("x")


def test_results_answered_in_the_wrong_number_raise() -> None:
    batches: list[list[str]] = []

    def run_many(items: list[str]) -> list[str]:
        batches.append(items)
        return []

    commit = GroupCommit(run_many)
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        commit.submit("x")
    assert batches == [["x"]]


def test_results_in_the_wrong_number_for_a_batch_make_each_item_run_alone() -> None:
    recorder = Recorder()

    def run_many(items: list[int]) -> list[str]:
        answers = recorder(items)
        return answers[:1] if len(items) > 1 else answers  # one answer short for a batch

    commit = GroupCommit(run_many)
    outcomes = submit_all(commit, recorder, list(range(4)))

    assert outcomes == {item: ("value", f"done {item}") for item in range(4)}
    assert sorted(recorder.batches[1]) == [1, 2, 3]
    assert recorder.batches[2:] == [[item] for item in recorder.batches[1]]


class Interrupted(BaseException):
    """What a worker's shutdown raises in a thread (not an ``Exception``: a failed batch is not retried)."""


def test_when_a_leader_is_interrupted_the_callers_it_took_get_an_error_instead_of_waiting_for_ever() -> None:
    def interrupt_second_batch(item: Any) -> Any:
        if item != 0:
            raise Interrupted
        return f"done {item}"

    recorder = Recorder()
    commit = GroupCommit(lambda items: [interrupt_second_batch(i) for i in recorder(items)] if items != [0]
                         else recorder(items))
    outcomes: dict[int, str] = {}

    def call(item: int) -> None:
        try:
            outcomes[item] = commit.submit(item)
        except Interrupted:
            outcomes[item] = "interrupted"
        except RuntimeError as error:
            outcomes[item] = f"error: {error}"

    three_callers_behind_a_held_batch(commit, recorder, call)
    assert outcomes[0] == "done 0"
    assert sorted(outcomes[item] for item in (1, 2)) == [
        "error: the batch was interrupted before this item was written", "interrupted"]
