"""Similar posts: normalised terms, MinHash signatures and LSH bands, computed a page at a time.

A post's signature estimates the Jaccard similarity of its term set (words and word pairs, with
mentions, links and numbers taken out, so "order 123456 never arrived" and "order 654321 never
arrived" agree) with any other post's. Its 16 bands of 2 values are stored as lookup keys: two posts
whose terms are half shared meet in at least one band with probability 0.99, at a fifth shared with
0.48; a candidate found through a band is then checked on the whole signature (THRESHOLD).

datasketch's MinHash cost ~130 us a post here (numpy calls per post); this hashes a whole page of
posts in a few numpy calls, which ingest can afford (figures in the README).
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

PERMUTATIONS = 32
BANDS = 16
ROWS = PERMUTATIONS // BANDS
THRESHOLD = 0.5  # estimated Jaccard similarity from which two posts count as similar
MIN_TERMS = 3  # shorter posts ("thanks!") say too little to be grouped
_SEED = 20261126

_NOISE = re.compile(r"https?://\S+|www\.\S+|@[\w.@:-]+|\d+")
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# fmt: off
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do",
    "does", "for", "from", "had", "has", "have", "he", "her", "his", "how", "i", "if", "in", "into",
    "is", "it", "its", "just", "me", "my", "no", "not", "of", "on", "or", "our", "she", "so", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "too", "up", "us",
    "was", "we", "were", "what", "when", "where", "which", "who", "why", "will", "with", "would",
    "you", "your", "im", "ive", "dont", "cant", "hi", "hey", "pls", "please",
})
# fmt: on


def words(text: str) -> list[str]:
    """A post's words in order, lower-cased, without mentions, links, numbers and stopwords."""
    return [w for w in _WORD.findall(_NOISE.sub(" ", text.casefold())) if w not in STOPWORDS]


def terms(text: str) -> set[str]:
    """The words and adjacent word pairs of a post (`words`); an empty set when fewer than
    MIN_TERMS words remain."""
    found = words(text)
    if len(found) < MIN_TERMS:
        return set()
    return {*found, *(f"{a} {b}" for a, b in itertools.pairwise(found))}


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    rng = np.random.default_rng(_SEED)
    a = rng.integers(0, 1 << 63, size=PERMUTATIONS, dtype=np.uint64) | np.uint64(1)  # odd multipliers
    b = rng.integers(0, 1 << 63, size=PERMUTATIONS, dtype=np.uint64)
    return a, b


_PERMS: tuple[np.ndarray, np.ndarray] | None = None


def signatures(texts: Sequence[str]) -> list[bytes | None]:
    """The MinHash signature (PERMUTATIONS uint32, as bytes) of each text; None for a text too short."""
    import numpy as np

    global _PERMS
    if _PERMS is None:
        _PERMS = _permutations()
    a, b = _PERMS
    term_sets = [terms(text) for text in texts]
    hashes: list[int] = []
    starts: list[int] = []
    for found in term_sets:
        if found:
            starts.append(len(hashes))
            hashes.extend(zlib.crc32(t.encode()) for t in found)
    out: list[bytes | None] = [None] * len(texts)
    if not hashes:
        return out
    values = np.asarray(hashes, dtype=np.uint64)
    # Multiply-shift hashing: the high 32 bits of a * h + b (mod 2^64), one column per permutation.
    permuted = (np.outer(values, a) + b) >> np.uint64(32)
    minima = np.minimum.reduceat(permuted, starts, axis=0).astype(np.uint32)
    rows = iter(minima)
    for index, found in enumerate(term_sets):
        if found:
            out[index] = next(rows).tobytes()
    return out


def bands(signature: bytes) -> list[int]:
    """The signature's LSH band keys (a band's index in the high bits, its hash in the low 32)."""
    step = ROWS * 4
    return [(band << 32) | zlib.crc32(signature[band * step : (band + 1) * step]) for band in range(BANDS)]


def similarity(a: bytes, b: bytes) -> float:
    """The estimated Jaccard similarity of two signatures' term sets."""
    import numpy as np

    return float(np.mean(np.frombuffer(a, dtype=np.uint32) == np.frombuffer(b, dtype=np.uint32)))


def similar_among(signature: bytes, candidates: Sequence[tuple[int, bytes]]) -> list[int]:
    """Which candidates' (id, signature) are similar to `signature`, checked on all values at once."""
    import numpy as np

    if not candidates:
        return []
    mine = np.frombuffer(signature, dtype=np.uint32)
    theirs = np.frombuffer(b"".join(sig for _, sig in candidates), dtype=np.uint32).reshape(-1, PERMUTATIONS)
    shares = (theirs == mine).mean(axis=1)
    return [post_id for (post_id, _), share in zip(candidates, shares, strict=True) if share >= THRESHOLD]
