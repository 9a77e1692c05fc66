"""Orders and text matches a correct deployment may legitimately differ on (collations).

CONTRACT.md leaves collation open: a database may compare strings by code point, ignoring
case, ignoring accents, or (locale collations) ignoring spaces and punctuation at the first
level. Order checks accept any of these; match checks take a lower bound (what must match
under the narrowest reading) and an upper bound (what may match under the widest).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from calendar_spec.like import LikePattern, fold_case, keep_case


def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def fold_alnum(text: str) -> str:
    return "".join(char for char in fold_accents(text) if char.isalnum())


STRING_KEYS: tuple[Callable[[str], Any], ...] = (lambda s: s, fold_case, fold_accents, fold_alnum)


def _ordered(keys: Sequence[Any], descending: bool) -> bool:
    pairs = list(itertools.pairwise(keys))
    return all(b <= a for a, b in pairs) if descending else all(a <= b for a, b in pairs)


def is_ordered(values: Sequence[Any], descending: bool = False) -> bool:
    """Whether the non-null `values` are in order under at least one acceptable collation."""
    present = [value for value in values if value is not None]
    if not present:
        return True
    if all(isinstance(value, str) for value in present):
        return any(_ordered([key(v) for v in present], descending) for key in STRING_KEYS)
    if all(isinstance(value, bool) for value in present) or all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in present
    ):
        return _ordered(present, descending)
    return False


def like_matches(value: str, pattern: str, *, ignore_case: bool, loose: bool = False) -> bool:
    """SQL LIKE (`%` any run, `_` one character), by the contract's own matcher (no regex)."""
    if loose:
        return LikePattern(fold_accents(pattern), fold=keep_case).matches(fold_accents(value))
    return LikePattern(pattern, fold=fold_case if ignore_case else keep_case).matches(value)


def contains(haystack: Any, needle: str, *, loose: bool = False) -> bool:
    if not isinstance(haystack, str):
        return False
    if loose:
        return fold_accents(needle) in fold_accents(haystack) or fold_alnum(needle) in fold_alnum(haystack)
    return needle.casefold() in haystack.casefold()


def equals(value: Any, other: str, *, loose: bool = False) -> bool:
    if not isinstance(value, str):
        return False
    return fold_accents(value) == fold_accents(other) if loose else value == other


def ascii_words(text: Any, length: int = 4) -> list[str]:
    """Runs of ASCII letters of at least `length` characters (safe needles for search and LIKE)."""
    if not isinstance(text, str):
        return []
    return [word for word in re.findall(r"[A-Za-z]+", text) if len(word) >= length]


def case_telling_parts(names: Sequence[Any], count: int = 1) -> list[tuple[str, str]]:
    """Up to `count` (part, sent) pairs: three letters of an ASCII word of a name, and the same
    letters in the other case, such that the names holding `sent` ignoring case are not those
    holding it case by case (a `like` with it tells whether case is ignored). Distinct parts."""
    texts = [name for name in names if isinstance(name, str)]
    picks: list[tuple[str, str]] = []
    for name in texts:
        for word in ascii_words(name, 4):
            part = word[1:4]
            sent = part.swapcase()
            ignoring = {index for index, text in enumerate(texts) if sent.casefold() in text.casefold()}
            exactly = {index for index, text in enumerate(texts) if sent in text}
            if ignoring != exactly and all(part.casefold() != other.casefold() for other, _ in picks):
                picks.append((part, sent))
                break
        if len(picks) == count:
            break
    return picks
