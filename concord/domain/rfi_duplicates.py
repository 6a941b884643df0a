"""Pointing out possible duplicates of an open RFI when a new one is submitted.

Similarity is the Jaccard index of the two texts' word sets (shared words / all words) after
folding case and diacritics, dropping common function words and cutting each word to its first
five letters. The cut is the "first-5 characters" stemmer that works well for Turkish, an
agglutinative language where one word takes many suffixes (Can et al., JASIST 59(3), 2008); it
does no harm to English ("smuggling"/"smugglers") and Arabic words are mostly short anyway.

Jaccard rather than a "token set ratio": a ratio scores 100 when one text's words are a subset of
the other's, so a short RFI would look like a duplicate of every long one that mentions its words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

STEM_LENGTH = 5
DEFAULT_THRESHOLD = 0.4

_WORD = re.compile(r"\w+", re.UNICODE)
# "sınır", "sınırda", "sınırdaki" (border, at the border, the one at the border) all become "sinir".
_STOPWORD_TEXT = """
a an and any are as at be been by can could did do does for from had has have how in into is it its
of on or our please provide request requested than that the their there these this those to was we
were what when where which who whom why will with would you your
acaba ama bir bu da de daha den dır dir gibi hangi her icin ile ise mi mu mı mü ne neden nerede
olan olarak ve veya ya
في من على الى إلى عن مع هل ما ماذا أين متى كيف هذا هذه ذلك التي الذي و او أو
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _fold(word: str) -> str:
    # NFKD then dropping combining marks turns "İ" (which casefolds to "i̇") into "i", "ş" into "s" and
    # strips Arabic harakat, so spelling with or without diacritics compares equal.
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ı", "i")


_FOLDED_STOPWORDS = frozenset(_fold(w) for w in _STOPWORDS)


@lru_cache(maxsize=16_384)
def fingerprint(text: str) -> frozenset[str]:
    """The set of stemmed content words of a text.

    Cached: every submission is compared with every open RFI, whose texts rarely change, so each
    open RFI is folded and stemmed once per process rather than once per submission.
    """
    words = (_fold(w) for w in _WORD.findall(text))
    return frozenset(w[:STEM_LENGTH] for w in words
                     if w not in _FOLDED_STOPWORDS and (len(w) > 1 or w.isdigit()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True, slots=True)
class PossibleDuplicate:
    rfi_id: int
    score: float


def possible_duplicates(text: str, candidates: Iterable[tuple[int, str]], *,
                        threshold: float = DEFAULT_THRESHOLD, limit: int = 5) -> list[PossibleDuplicate]:
    """Open RFIs (id, subject + question) whose text is at least `threshold` similar, best first.

    The caller passes only RFIs the submitter may see: a duplicate hint must not reveal an RFI
    the policy hides.
    """
    target = fingerprint(text)
    if not target:
        return []
    found = []
    for rfi_id, other in candidates:
        score = jaccard(target, fingerprint(other))
        if score >= threshold:
            found.append(PossibleDuplicate(rfi_id, round(score, 3)))
    found.sort(key=lambda d: (-d.score, d.rfi_id))
    return found[:limit]
