"""A loop that waits for a wake-up or a deadline ends when it is cancelled, whenever the
cancel comes (the feed scheduler and the platform locks wait this way)."""

from __future__ import annotations

import asyncio

from bot.runtime.waiting import wait_set


def test_it_says_whether_the_event_came_before_the_deadline() -> None:
    async def go() -> tuple[bool, bool]:
        event = asyncio.Event()
        early = await wait_set(event, 0.01)
        asyncio.get_running_loop().call_soon(event.set)
        late = await wait_set(event, 5)
        return early, late

    assert asyncio.run(go()) == (False, True)


def test_a_cancel_that_comes_with_the_wake_up_ends_the_loop() -> None:
    """The wake-up and the cancel in one turn of the loop: with ``asyncio.wait_for`` the
    cancel was lost on Python 3.11 and the loop went on for ever."""

    async def go() -> int:
        wake = asyncio.Event()
        rounds = 0

        async def loop() -> None:
            nonlocal rounds
            while True:
                rounds += 1
                wake.clear()
                await wait_set(wake, 5)

        task = asyncio.create_task(loop())
        await asyncio.sleep(0)  # the loop is waiting now
        wake.set()
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=5)
        assert done, f"still running after cancel(), {rounds} rounds"
        assert task.cancelled()
        return rounds

    assert asyncio.run(go()) == 1
