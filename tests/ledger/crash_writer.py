"""A writer for the crash test: appends one entry per transaction, reporting each commit."""

from __future__ import annotations

import sys

from ecocredit.db import Database
from ecocredit.ledger import store


def main() -> None:
    db = Database(sys.argv[1])
    n = 0
    while True:
        batch = [b'{"crash":%d,"k":%d}' % (n, k) for k in range(1 + n % 3)]
        first = db.write(lambda s, b=batch: store.append(s, b))
        # Reported only after the commit returned: the test holds the log to these.
        sys.stdout.write(f"{first} {len(batch)}\n")
        sys.stdout.flush()
        n += 1


if __name__ == "__main__":
    main()
