"""A dialcheck-wire/1 'implementation' that answers from a script, whatever is asked.

Usage: scripted.py SCRIPT PIDFILE

SCRIPT holds one answer per line, sent in order, one per request line read.
Three lines are directives: SLEEP (stop answering), EXIT (exit with status 1),
CLOSE (close stdout and wait).  At the end of the script the program exits.
It imports nothing of dialcheck, so that it starts fast.
"""

import os
import sys
import time


def main() -> int:
    script, pidfile = sys.argv[1], sys.argv[2]
    with open(pidfile, "a") as out:
        out.write(f"{os.getpid()}\n")
    with open(script, "rb") as lines:
        answers = lines.read().split(b"\n")
    for answer in answers:
        if not sys.stdin.buffer.readline():
            return 0
        if answer == b"SLEEP":
            time.sleep(60)
        elif answer == b"EXIT":
            return 1
        elif answer == b"CLOSE":
            os.close(1)
            time.sleep(60)
        else:
            os.write(1, answer + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
