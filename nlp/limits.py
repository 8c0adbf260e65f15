"""What one read may cost, checked as early as each format allows.

Readers stop as soon as a limit is passed (a text file by its byte length, a PDF by its page count,
a scan by the pages that would need OCR) instead of doing the expensive work first; `assemble()` then
checks the exact character and paragraph counts before normalising, segmenting and reviewing.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import TooComplex, TooManyCharacters

MB = 1024 * 1024


@dataclass
class Limits:
    # Positional order is kept: callers build Limits(max_bytes, max_pages, max_ocr_pages).
    max_bytes: int = 50 * MB
    max_pages: int = 2000
    max_ocr_pages: int = 200
    # The service's default (service.pipeline.DEFAULT_MAX_CHARACTERS): ~500 pages of Chinese, ~20 s
    # of review. Callers with their own setting pass it here so both checks agree.
    max_characters: int | None = 1_000_000
    # Paragraphs and table rows. A 500-page contract has ~10,000; 200,000 is only reached by files
    # built to make every per-paragraph step (structure, sentences, rules) run for minutes.
    max_blocks: int | None = 200_000


# Readers count raw characters, before normalisation drops blank lines and invisible characters;
# they stop at this multiple of the limit, so the exact check after normalisation decides the rest.
RAW_SLACK = 1.25


class Budget:
    """Running count of what a reader has produced, raising once a limit is passed."""

    def __init__(self, limits: Limits | None = None):
        limits = limits or Limits()
        self.max_characters = limits.max_characters
        self.max_blocks = limits.max_blocks
        self.raw_cap = int(limits.max_characters * RAW_SLACK) if limits.max_characters else None
        self.characters = 0
        self.blocks = 0

    def chars(self, n: int) -> None:
        self.characters += n
        if self.raw_cap is not None and self.characters > self.raw_cap:
            raise TooManyCharacters(self.max_characters, self.characters, at_least=True)

    def block(self, n: int = 1) -> None:
        self.blocks += n
        if self.max_blocks is not None and self.blocks > self.max_blocks:
            raise too_many_blocks(self.max_blocks)


def too_many_blocks(limit: int) -> TooComplex:
    return TooComplex(f"段落或表格行超过 {limit:,} 个的上限。", f"It has more than {limit:,} paragraphs or table rows.")


def check_counts(characters: int, blocks: int, limits: Limits) -> None:
    """The exact check, on the normalised text."""
    if limits.max_characters and characters > limits.max_characters:
        raise TooManyCharacters(limits.max_characters, characters)
    if limits.max_blocks and blocks > limits.max_blocks:
        raise too_many_blocks(limits.max_blocks)
