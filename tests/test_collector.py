"""The heap set aside from the garbage collector (``newsletter.collector.set_aside``)."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from newsletter.collector import set_aside


def test_the_heap_is_frozen_inside_and_given_back_after() -> None:
    assert gc.get_freeze_count() == 0
    held = [object() for _ in range(10)]  # tracked: in the frozen generation inside
    with set_aside():
        assert gc.get_freeze_count() >= len(held)
        gc.collect()  # a full collection inside does not thaw them
        assert gc.get_freeze_count() >= len(held)
    assert gc.get_freeze_count() == 0


def test_nested_and_concurrent_blocks_share_one_freeze() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with set_aside():
            inside.set()
            assert release.wait(10)

    thread = threading.Thread(target=other)
    with set_aside():
        thread.start()
        assert inside.wait(10)
        with set_aside():
            pass
        assert gc.get_freeze_count() > 0  # the inner block left; the others still hold it
    assert gc.get_freeze_count() > 0  # the other thread is still in its block
    release.set()
    thread.join(10)
    assert gc.get_freeze_count() == 0


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_recent_garbage_is_freed_not_kept_in_the_oldest_generation() -> None:
    """Frozen and then given back, garbage would land in the oldest generation, which only
    a full collection frees (rarely: a test suite ran out of database connections)."""
    node = _Node()
    gone = weakref.ref(node)
    del node
    with set_aside():
        pass
    assert gone() is None


def test_garbage_made_in_the_frozen_heap_is_freed_when_the_block_ends() -> None:
    """An object frozen while alive and dropped inside the block is thawed into the oldest
    generation: freed at the end, not whenever the next full collection comes."""
    node = _Node()
    gone = weakref.ref(node)
    with set_aside():
        del node
    assert gone() is None


def test_an_error_in_the_block_still_gives_the_heap_back() -> None:
    with pytest.raises(RuntimeError, match="boom"), set_aside():
        raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0
