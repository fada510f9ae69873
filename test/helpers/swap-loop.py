"""Swap two directory entries with renameat2(RENAME_EXCHANGE) in a loop, as a hostile local user.

    python3 swap-loop.py UID A B SECONDS

Drops to UID (and its group), prints "ready", then exchanges A and B (a directory the user owns and
a symlink the user planted) as fast as it can until SECONDS have passed or stdin closes, and prints
the number of exchanges. Used by the writers' race tests: nothing a writer does may land through B.
"""

import ctypes
import os
import select
import sys
import time

AT_FDCWD = -100
RENAME_EXCHANGE = 2

uid, a, b, seconds = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode(), float(sys.argv[4])
libc = ctypes.CDLL(None, use_errno=True)
renameat2 = libc.renameat2
renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
os.setgroups([])
os.setgid(uid)
os.setuid(uid)
print("ready", flush=True)
deadline = time.monotonic() + seconds
swaps = 0
while time.monotonic() < deadline:
    for _ in range(200):
        if renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
            sys.exit(f"renameat2: {os.strerror(ctypes.get_errno())}")
        swaps += 1
    if select.select([sys.stdin], [], [], 0)[0] and sys.stdin.read(1) == "":
        break
# An even number of exchanges leaves the directory where it was.
if swaps % 2 == 1:
    renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
    swaps += 1
print(swaps, flush=True)
