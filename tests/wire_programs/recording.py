"""The reference served over dialcheck-wire/1, writing every request and answer to a log.

Usage: recording.py LOG

Each exchange appends two lines to LOG: ``> request`` and ``< answer``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dialcheck.conformance.drivers.serve import WireServer  # noqa: E402
from dialcheck.conformance.formats.wire import PROTOCOL, Hello, encode  # noqa: E402
from dialcheck.reference.dialstate import create_dialstate  # noqa: E402
from dialcheck.reference.scheduler import create_scheduler  # noqa: E402


def main() -> int:
    profiles = ("geth-1.7", "geth-1.8", "geth-1.15")
    server = WireServer(create_dialstate, Hello("recording", "0", PROTOCOL, profiles, ("execute",)), create_scheduler)
    with open(sys.argv[1], "ab") as log:
        for line in sys.stdin.buffer:
            answer, stop = server.on_line(line)
            data = encode(answer)
            log.write(b"> " + line.rstrip(b"\n") + b"\n< " + data)
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            if stop:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
