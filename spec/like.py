"""SQL `LIKE` as the contract reads it: `%` is any run of characters, `_` exactly one, and case
is ignored (`x-clicrdv-conditions`, ASM). Shared by the mock, which answers with it, and the
contract suite, which judges a deployment's answers with it.

No backtracking regular expression: the pattern is split on `%` into pieces of fixed length;
the first piece must open the text, the last must close it, and each piece in between is
taken at its leftmost place after the one before (the leftmost place leaves the most room for
the rest, so it never loses a match). A piece without `_` is found by `str.find`, in linear
time; a piece with `_` is a fixed-length comparison of literals and "any one character" (no
repetition, no alternation, so nothing to backtrack into), tried at each place: at most
len(text) × len(piece) character comparisons. A whole text costs O(len(text) × len(pattern)).
"""

from __future__ import annotations

import re
from collections.abc import Callable

ANY_RUN, ANY_ONE = "%", "_"


def fold_case(text: str) -> str:
    """`text` with case ignored, one character for one: `_` still means one character after
    folding. A character whose case folding is longer (ß → ss) folds to its lower case when
    that is one character, else stays as it is."""
    folded = text.casefold()
    if len(folded) == len(text):  # no character grew, so each folded to exactly one
        return folded
    return "".join(_fold_char(char) for char in text)


def keep_case(text: str) -> str:
    """The fold that folds nothing: `LikePattern(pattern, fold=keep_case)` compares case by case."""
    return text


def _fold_char(char: str) -> str:
    for folded in (char.casefold(), char.lower()):
        if len(folded) == 1:
            return folded
    return char


class _Piece:
    """A run of the pattern between two `%`: literal characters and `_`."""

    __slots__ = ("_text", "_wild", "length", "literal")

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self.literal = text if ANY_ONE not in text else None
        self._text = text
        self._wild: re.Pattern[str] | None = None

    @property
    def wild(self) -> re.Pattern[str]:
        """The piece as a fixed-length expression: literals and `.`, nothing repeated, nothing
        to backtrack into. Compiled on first use: a pattern longer than every text is refused
        by length and never needs it (compiling costs as much as the pattern is long)."""
        if self._wild is None:
            self._wild = re.compile(
                "".join("." if char == ANY_ONE else re.escape(char) for char in self._text), re.DOTALL)
        return self._wild

    def at(self, text: str, start: int) -> bool:
        """Whether the piece matches `text` at `start` exactly."""
        if self.literal is not None:
            return text.startswith(self.literal, start)
        return self.wild.match(text, start) is not None

    def find(self, text: str, start: int, end: int) -> int:
        """The leftmost place >= start where the piece matches within text[:end], or -1."""
        if self.literal is not None:
            return text.find(self.literal, start, end)
        found = self.wild.search(text, start, end)
        return -1 if found is None else found.start()


class LikePattern:
    """One `LIKE` pattern, compiled once; `matches(text)` for each value.

    `fold` maps a text to the form compared (case folded by default; the contract suite also
    compares with accents folded, or with nothing folded); it must keep one character for one.
    """

    __slots__ = ("fixed_length", "loop_pieces", "matches", "matches_everything", "pattern",
                 "wild_length")

    def __init__(self, pattern: str, *, fold: Callable[[str], str] = fold_case) -> None:
        self.pattern = pattern
        pieces = [_Piece(fold(piece)) for piece in pattern.split(ANY_RUN)]
        # The fewest characters a text needs to match: every piece, each `%` taking nothing.
        self.fixed_length = sum(piece.length for piece in pieces)
        self.matches_everything = len(pieces) > 1 and self.fixed_length == 0  # only `%`s
        # What matching costs: a search per piece between two `%` (none for the shapes that need
        # one string operation), and for the pieces with `_` a comparison of each of their
        # characters at each place of the text (the worst case).
        self.wild_length = sum(piece.length for piece in pieces if piece.literal is None)
        self.matches, self.loop_pieces = _matcher(pieces, self.fixed_length, fold)


def _matcher(pieces: list[_Piece], fixed_length: int,
             fold: Callable[[str], str]) -> tuple[Callable[[str], bool], int]:
    """The test for one text, and how many pieces it searches for in a loop: none for the
    common shapes (exact, prefix, suffix, contains), which need one string operation."""
    if fold is fold_case:
        def folded(text: str) -> str:  # fold_case, inlined for the common case
            lowered = text.casefold()
            return lowered if len(lowered) == len(text) else fold_case(text)
    else:
        folded = fold
    first, last = pieces[0], pieces[-1]
    middle = [piece for piece in pieces[1:-1] if piece.length]
    literal = all(piece.literal is not None for piece in pieces)
    if len(pieces) == 1:
        if first.literal is not None:
            exact = first.literal
            return (lambda text: folded(text) == exact), 0
        return (lambda text: len(text) == first.length and first.at(folded(text), 0)), 0
    if fixed_length == 0:
        return (lambda text: True), 0
    if literal and not middle:
        head, tail = first.literal, last.literal
        return (lambda text: len(text) >= fixed_length and (text := folded(text)).startswith(head)
                and text.endswith(tail)), 0
    if literal and len(middle) == 1 and not first.length and not last.length:
        needle = middle[0].literal
        return (lambda text: needle in folded(text)), 0

    def general(text: str) -> bool:
        size = len(text)
        if size < fixed_length:
            return False
        text = folded(text)
        end = size - last.length  # the last piece closes the text; the others fit before it
        if not (first.at(text, 0) and last.at(text, end)):
            return False
        position = first.length
        for piece in middle:
            found = piece.find(text, position, end)
            if found < 0:
                return False
            position = found + piece.length
        return True

    return general, len(middle)
