"""How codes compare and how new ones are made. Pure: no IO.

Codes compare without regard to case or surrounding spaces: people retype codes from
emails, posters and screens, where "spring24 " and "SPRING24" are the same code. Generated
codes use an alphabet without look-alikes (no 0/O, 1/I/L), so a code read aloud or off a
screen is typed right.
"""

import secrets

# Longest code accepted (a CSV line, a shared code). Its key may be longer: case folding
# can turn one character into up to three.
CODE_MAX = 100
KEY_MAX = 3 * CODE_MAX

# 31 characters: digits 2-9 and the letters without I, L and O.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# 31 ** 10 is about 8e14: even 100,000 codes leave a guess a chance below 1 in 8e9.
GENERATED_LENGTH = 10


def code_key(code: str) -> str:
    """The code as compared: surrounding spaces removed, case folded."""
    return code.strip().casefold()


def new_codes(count: int) -> list[str]:
    """``count`` distinct new codes."""
    found: set[str] = set()
    while len(found) < count:
        found.update(_random_codes(count - len(found)))
    return list(found)


# Bytes below this are used, taken modulo the alphabet's size: 248 = 8 * 31, so every
# character is equally likely (the rest are drawn again).
_USABLE = 256 - 256 % len(ALPHABET)


def _random_codes(count: int) -> list[str]:
    """``count`` random codes (maybe repeating), from ``secrets``' bytes in one draw: a
    character per byte is about 25 times faster than ``secrets.choice`` per character."""
    wanted = count * GENERATED_LENGTH
    chars: list[str] = []
    while len(chars) < wanted:
        drawn = secrets.token_bytes(wanted - len(chars) + 16)
        chars += [ALPHABET[b % len(ALPHABET)] for b in drawn if b < _USABLE]
    text = "".join(chars[:wanted])
    return [text[i : i + GENERATED_LENGTH] for i in range(0, wanted, GENERATED_LENGTH)]
