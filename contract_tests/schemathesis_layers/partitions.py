"""Which calendars each engine's generated writes may reach, so that engines side by side need
not take turns for every write.

The engines of the operations that write one calendar (PUT, DELETE of /calendars/{id}) each get
calendars of ours no other engine writes, and an unknown id of their own. A write steered there
holds the write turns shared with the other engines' (steer.WriteTurns) and is judged on those
calendars alone (`Partition.seen`, unchanged.snapshot): whatever else changes meanwhile - the
other engines' writes, and what a faulty deployment does beside them, such as a refused PUT
that creates a calendar elsewhere - cannot show in its verdict, whether the engines run side by
side or one at a time. Such a side effect is the rules' to find (notfound.unknown, invalid.*),
which judge a refused write on the whole group. Any other generated write (a create, a method a
path does not serve, an id left unsteered) goes alone and is judged on the whole group.
The partitions depend on the plan and the calendars only, so that a run at --concurrency 1
judges every write on the same view as one at 8.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..context import UNKNOWN_ID

PARTITIONED = ("updateCalendar", "deleteCalendar")


@dataclass(frozen=True)
class Partition:
    targets: tuple[int, ...]  # where the engine's PUT/DELETE go (Policy.targets)
    own: frozenset[int] = frozenset()  # empty: the engine has no partition (targets are shared)
    unknown_id: int = UNKNOWN_ID

    @property
    def seen(self) -> frozenset[int]:
        """What a write that can only reach this partition is judged on."""
        return self.own | {self.unknown_id}


def writers(operations: Sequence[str | None]) -> list[int]:
    """The engines (by their operation; None: not a conformance engine) that get a partition."""
    return [index for index, operation in enumerate(operations) if operation in PARTITIONED]


def partitions(operations: Sequence[str | None], targets: Sequence[int]) -> list[Partition]:
    """One Partition per engine, its targets in the order of `targets` (SuiteContext.created_ids':
    the same at any concurrency). With fewer calendars than `writers`, none gets a partition:
    every write goes alone."""
    writing = writers(operations)
    shared = Partition(tuple(targets))
    if not writing or len(targets) < len(writing):
        return [shared] * len(operations)
    owned = {index: (tuple(targets[number::len(writing)]), UNKNOWN_ID - 1 - number)
             for number, index in enumerate(writing)}
    return [Partition(owned[index][0], frozenset(owned[index][0]), owned[index][1])
            if index in owned else shared for index in range(len(operations))]
