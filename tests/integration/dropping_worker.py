"""``cxkpi`` whose consumer, at every seek to the committed offsets, first reads a poll
of every partition it is assigned and drops it, and says so in the log.

Test-only. A poll that arrives while a rebalance has the flow stopped is dropped
(``transport.Consumer._poll``, ``_apply``) after aiokafka has moved past its records;
the seek to the committed offsets that ends the rebalance is what brings them back.
That moment is rare and short in a real worker; here it happens at every assignment,
so that a test can check that nothing dropped there is lost, in partitions with a
commit and in partitions with none yet.
"""

from __future__ import annotations

import logging
import sys

from stream.cli.main import main
from stream.runtime import transport

#: What the log says when a poll was dropped before the seek.
DROPPED = "test: dropped a poll of"


class DroppingConsumer(transport.Consumer):
    async def perform_seek(self) -> None:
        assigned = {tp for tp in self.assignment() if self.app.topics.acks_enabled_for(tp.topic)}
        if assigned:
            records = await self._getmany(assigned, timeout=2.0)
            count = sum(len(batch) for batch in records.values())
            logging.getLogger("cxkpi.worker").warning("%s %d records", DROPPED, count)
        await super().perform_seek()


if __name__ == "__main__":
    transport.Transport.Consumer = DroppingConsumer
    sys.exit(main())
