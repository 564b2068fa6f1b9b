"""What characters the store's text may hold: the rules every text input meets.

- A name, slug, email, key or reference holds no control character (Unicode category
  Cc: C0, DEL and C1). PostgreSQL cannot even store NUL in text.
- A description may hold tabs and line breaks (TAB, LF, CR), and no other control.
- A name, slug, email, key or reference also holds no bidi control (`BIDI_CLASS`): it
  could draw the text in another order than it is stored.
- An email also holds no whitespace and no invisible character (`is_invisible`), equals
  its Unicode NFKC normalisation and starts no part with a combining mark (see
  `domain.users.Email`), so that no two addresses look alike on screen.

The patterns are written once here so that the HTTP edge enforces and documents exactly
these rules: `\\uXXXX` escapes read the same in Python's `re` and in ECMA-262 (the
OpenAPI document), and every pattern ends with `$(?!\\n)` because Python's `$` alone also
matches before a final newline.
"""

from __future__ import annotations

import re
import unicodedata

CONTROL_CLASS = r"\u0000-\u001F\u007F-\u009F"
"""Unicode category Cc, as the inside of a regex character class."""

BIDI_CLASS = r"\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069"
"""The bidi controls (marks, embeddings, overrides, isolates), as the inside of a class."""

DESCRIPTION_CONTROL_CLASS = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F"
"""Cc without TAB, LF and CR."""

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties): characters drawn as nothing
# at all — soft hyphen, zero-width space and joiners, bidi marks and embeddings, the
# word joiner, variation selectors, Hangul fillers, tags. Together with the categories
# below they are what an email may not hold.
DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Characters that draw as a blank or a placeholder though Unicode files them as symbols:
# the Braille blank, the object replacement and the replacement character.
LOOKS_BLANK: tuple[tuple[int, int], ...] = ((0x2800, 0x2800), (0xFFFC, 0xFFFD))
# Control, format, surrogate, private use, unassigned; space, line and paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def whole(body: str) -> str:
    """A pattern that `body` must match from the first character to the last."""
    return f"^{body}$(?!\\n)"


def without(char_class: str, *, at_least_one: bool = False) -> str:
    """A whole-string pattern: no character of `char_class` anywhere."""
    return whole(f"[^{char_class}]{'+' if at_least_one else '*'}")


NO_NUL_PATTERN = r"^[^\u0000]*$"
"""A password: any character but NUL (line breaks included, so `$` is exact here)."""

VISIBLE_ASCII_PATTERN = whole("[!-~]+")
"""A key made for machines (`Idempotency-Key`): visible ASCII, no space."""

PLAIN_TEXT_PATTERN = without(CONTROL_CLASS + BIDI_CLASS)
"""A name, key or reference: no control character, no bidi control."""

DESCRIPTION_PATTERN = without(DESCRIPTION_CONTROL_CLASS)
"""Free text: tabs and line breaks allowed, no other control character."""


def _bmp_class(ranges: tuple[tuple[int, int], ...]) -> str:
    parts = []
    for low, high in ranges:
        if low > 0xFFFF:
            continue  # outside the BMP: ECMA-262 classes without the `u` flag cannot name them
        parts.append(f"\\u{low:04X}" if low == high else f"\\u{low:04X}-\\u{high:04X}")
    return "".join(parts)


# Format characters (Cf) of the BMP that are not default-ignorable (Arabic number signs…).
_BMP_FORMAT: tuple[tuple[int, int], ...] = (
    (0x0600, 0x0605),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0xFFF9, 0xFFFB),
)
_BMP_PRIVATE_USE = ((0xE000, 0xF8FF),)
EMAIL_REFUSED_CLASS = (
    r"\s@" + CONTROL_CLASS + _bmp_class(DEFAULT_IGNORABLE + _BMP_FORMAT + _BMP_PRIVATE_USE + LOOKS_BLANK)
)
"""What no part of an email may hold, as far as a portable regex can say it (`is_invisible`
also refuses the few such characters outside the BMP, and unassigned ones)."""

EMAIL_PATTERN = whole(f"[^{EMAIL_REFUSED_CLASS}]+@[^{EMAIL_REFUSED_CLASS}]+")


_CONTROL = re.compile(f"[{CONTROL_CLASS}]")


def has_control(text: str, allowed: str = "") -> bool:
    """Whether `text` holds a control character (category Cc) other than those in `allowed`.

    One regex scan (`CONTROL_CLASS` is exactly Cc, held so by tests/unit/test_text.py): the
    character-by-character `unicodedata.category` it replaced cost a checkout URL's validation
    about 0.1 ms."""
    if not allowed:
        return _CONTROL.search(text) is not None
    return any(ch not in allowed for ch in _CONTROL.findall(text))


def is_invisible(ch: str) -> bool:
    """Whitespace, a control, or a character that draws nothing (or nothing reliable)."""
    if ch.isspace() or unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
        return True
    point = ord(ch)
    return any(low <= point <= high for low, high in DEFAULT_IGNORABLE + LOOKS_BLANK)


_BIDI = re.compile(f"[{BIDI_CLASS}]")


def has_bidi_control(text: str) -> bool:
    """Whether `text` holds a bidi control (`BIDI_CLASS`)."""
    return _BIDI.search(text) is not None


def is_nfkc(text: str) -> bool:
    """Whether `text` equals its Unicode NFKC normalisation (no compatibility form such as
    fullwidth letters, no decomposed accent)."""
    return unicodedata.is_normalized("NFKC", text)


def is_combining(ch: str) -> bool:
    """A combining mark (category M*): drawn on the character before it."""
    return unicodedata.category(ch).startswith("M")
