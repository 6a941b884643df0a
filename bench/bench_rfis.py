"""RFI duplicate hints: Concord's stemmed-word Jaccard against rapidfuzz's token-set ratio.

Open RFIs are generated from a small military vocabulary. Queries are of two kinds: rewordings of
an existing RFI (some words dropped, suffixes added, order shuffled: a duplicate that should be
found) and short questions that merely share a few words with many RFIs (should not be flagged).
Figures: time to check one submission against all open RFIs (the open RFIs' word sets are
cached after the first check, as in a running server; rapidfuzz preprocesses each choice on every
call), the share of rewordings whose
original comes first, and the share of unrelated questions wrongly flagged.
"""

from __future__ import annotations

import random

from rapidfuzz import fuzz, process, utils

from bench.harness import Row, timed
from concord.domain.rfi_duplicates import DEFAULT_THRESHOLD, possible_duplicates

_WORD_TEXT = (
    "vehicle truck convoy movement crossing border police patrol checkpoint village valley river bridge "
    "road night morning shelling drone sighting smuggling fuel weapons ammunition militia camp tunnel "
    "report casualties civilians displaced families shepherd herd mortar rocket launch observation "
    "post radar helicopter fence breach tracks footprints cache explosive device route culvert")
WORDS = _WORD_TEXT.split()
SUFFIXES = ("", "s", "ing", "ed")
RAPIDFUZZ_CUTOFF = 80.0  # a customary token_set_ratio threshold for "probably the same"


def _rfi(rng: random.Random) -> str:
    return " ".join(rng.sample(WORDS, 14)) + f" grid {rng.randint(100, 999)}"


def _reword(rng: random.Random, text: str) -> str:
    words = text.split()
    kept = [w + rng.choice(SUFFIXES) if rng.random() < 0.3 else w for w in words if rng.random() > 0.15]
    rng.shuffle(kept)
    return " ".join(kept)


def run(quick: bool) -> list[Row]:
    rng = random.Random(6)
    open_rfis = [(i, _rfi(rng)) for i in range(1, (300 if quick else 3000) + 1)]
    rewordings = [(rfi_id, _reword(rng, text)) for rfi_id, text in rng.sample(open_rfis, 50)]
    unrelated = [" ".join(rng.sample(WORDS, 3)) for _ in range(50)]
    choices = {rfi_id: text for rfi_id, text in open_rfis}

    def concord_top(query: str) -> int | None:
        found = possible_duplicates(query, open_rfis, threshold=DEFAULT_THRESHOLD, limit=1)
        return found[0].rfi_id if found else None

    def peer_top(query: str) -> int | None:
        found = process.extractOne(query, choices, scorer=fuzz.token_set_ratio,
                                   processor=utils.default_process, score_cutoff=RAPIDFUZZ_CUTOFF)
        return int(found[2]) if found else None

    queries = [q for _, q in rewordings[:10]]
    concord_s = timed(lambda: [concord_top(q) for q in queries], repeat=3) / len(queries)
    peer_s = timed(lambda: [peer_top(q) for q in queries], repeat=3) / len(queries)
    concord_found = sum(concord_top(q) == rfi_id for rfi_id, q in rewordings) / len(rewordings)
    peer_found = sum(peer_top(q) == rfi_id for rfi_id, q in rewordings) / len(rewordings)
    concord_false = sum(concord_top(q) is not None for q in unrelated) / len(unrelated)
    peer_false = sum(peer_top(q) is not None for q in unrelated) / len(unrelated)
    n = len(open_rfis)
    return [
        Row(f"duplicate check against {n} open RFIs", concord_s * 1000, peer_s * 1000, "ms per submission",
            "< 50 ms", higher_is_better=False, peer_name="rapidfuzz token_set_ratio"),
        Row("rewordings whose original is found first", concord_found * 100, peer_found * 100, "%",
            ">= 90 %", peer_name="rapidfuzz token_set_ratio"),
        Row("unrelated short questions flagged as duplicates", concord_false * 100, peer_false * 100, "%",
            "<= 5 %", higher_is_better=False, peer_name="rapidfuzz token_set_ratio"),
    ]
