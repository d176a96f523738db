"""Fast random identifiers.

``os.urandom`` costs a system call per use (about 150 µs each on some VMs), and every
object create needs a UID, so random bytes are drawn from the OS in blocks.
"""

from __future__ import annotations

import os
import threading

_BLOCK = 16 * 1024
_lock = threading.Lock()
_buf = b""
_pos = 0


def random_bytes(n: int) -> bytes:
    global _buf, _pos
    with _lock:
        if _pos + n > len(_buf):
            _buf = os.urandom(max(_BLOCK, n))
            _pos = 0
        out = _buf[_pos : _pos + n]
        _pos += n
        return out


def uuid4() -> str:
    """A random (version 4, RFC 4122 variant) UUID string."""
    b = bytearray(random_bytes(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def random_suffix(n: int = 5) -> str:
    """Upstream's SimpleNameGenerator alphabet (no vowels, no confusable characters)."""
    raw = random_bytes(n)
    return "".join(_NAME_ALPHABET[x % len(_NAME_ALPHABET)] for x in raw)
