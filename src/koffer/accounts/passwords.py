"""Password hashing: argon2id at OWASP's parameters, and only a few hashes at a time
across all web workers of this machine.

Django's argon2 defaults (100 MiB, t=2, p=8) cost ~0.17-0.29 s of CPU per check on this
two-core machine, on eight threads: 560 sign-ins within a minute kept both cores busy,
and with one thread per web worker every other click waited up to 31 s. OWASP's floor
for argon2id, m=19 MiB, t=2, p=1, costs ~33 ms of one core (make bench
ONLY=core_morning_rush prints the parameters and the figures).

Hashes already stored keep working: argon2 reads the parameters from the hash, and
Django's ``check_password`` writes a new hash at the next sign-in because
``must_update`` sees the parameters differ.
"""

from __future__ import annotations

import fcntl
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

SLOT_FOLDER = "hash-slots"


class Argon2Hasher(Argon2PasswordHasher):
    """Django's argon2id hasher (same algorithm name, so the same stored hashes) with
    OWASP's parameters, hashing only in one of the machine's hash slots."""

    memory_cost = 19 * 1024  # KiB
    time_cost = 2
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        with hash_slot():
            return str(super().encode(password, salt))

    def verify(self, password: str, encoded: str) -> bool:
        with hash_slot():
            return bool(super().verify(password, encoded))


@contextmanager
def hash_slot() -> Iterator[None]:
    """Hold one of KOFFER_PASSWORD_HASH_SLOTS slots (a lock file each, shared by every
    process with the same KOFFER_VAR_DIR) while hashing: a rush of sign-ins takes at
    most that many cores and that much memory, and the rest stay with everyone else's
    clicks. A free slot is taken at once, else the caller waits for a busy one. The
    kernel frees a slot whose holder died."""
    folder = Path(settings.VAR_DIR) / SLOT_FOLDER
    folder.mkdir(exist_ok=True)
    count = max(1, int(settings.KOFFER_PASSWORD_HASH_SLOTS))
    first = random.randrange(count)  # spreads the waiters over the slots
    order = [(first + i) % count for i in range(count)]
    fd = -1
    try:
        for index in order:
            fd = os.open(folder / str(index), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                os.close(fd)
                fd = -1
        if fd < 0:
            fd = os.open(folder / str(first), os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        if fd >= 0:
            os.close(fd)  # closing the last descriptor releases the lock
