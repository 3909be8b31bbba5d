"""``cxkpi`` whose checkpoints pause between the changelog writes and the progress
marks, and say so in the log, so that a test can SIGKILL a worker exactly there.

Test-only. That window is the narrowest of a checkpoint, and the one the exactness
argument leans on hardest (entity records stored, marks not yet); a random kill
rarely lands in it, so the test makes it a moment it can hit on purpose.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterable

from stream.cli.main import main
from stream.runtime import worker
from stream.runtime.checkpoint import Step, checkpoint
from stream.runtime.transport import Producer

#: What the log says when a checkpoint has written its records and pauses before marks.
MARKS_NEXT = "test: checkpoint paused before its progress marks"
MARKS_WRITTEN = "test: checkpoint wrote its progress marks"
PAUSE_S = 0.5


async def pausing_checkpoint(producer: Producer, steps: Iterable[Step]) -> int:
    *records, marks = list(steps)
    log = logging.getLogger("cxkpi.worker")
    written = await checkpoint(producer, records)
    if not written:
        return await checkpoint(producer, [marks])
    log.warning(MARKS_NEXT)
    await asyncio.sleep(PAUSE_S)
    written += await checkpoint(producer, [marks])
    log.warning(MARKS_WRITTEN)
    return written


if __name__ == "__main__":
    worker.checkpoint = pausing_checkpoint
    sys.exit(main())
