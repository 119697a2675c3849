"""The no-model summary: the two or three most representative sentences of an article.

Centroid scoring (Radev et al., 2004): each sentence is a TF-IDF vector over the article's
sentences (so words found in nearly every sentence — "the", "de", "und" — weigh nothing in any
language), the article's centroid is their sum, and a sentence's score is its cosine similarity
to the centroid. The best sentences are taken greedily, skipping near-repeats of one already
chosen, and returned in their original order. Boilerplate-looking sentences (too short, headings
without final punctuation, cookie/subscribe/navigation text, shouting, link lists) are never
candidates. Pure and fast: no I/O, linear in the text size.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

_TERMINAL = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+|[。！？]+[」』”’)]*\s*")
_ENDS_LIKE_SENTENCE = re.compile(r"[.!?…。！？][\"'”’»)\]」』]*$")
_OPENERS = "\"'“‘«([¿¡"
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_CITATION = re.compile(r"\[(?:\d+|citation needed)\]")
_LIST_MARKER = re.compile(r"^(?:[-*•–]|\d{1,3}[.)])\s+")
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "inc", "ltd"}
    | {"co", "corp", "no", "fig", "gen", "gov", "sen", "rep", "approx", "dept", "est", "u.s"}
    | {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.k"}
)
_BOILERPLATE = re.compile(
    r"\b(cookies?|subscribe|subscription|newsletter|sign (?:up|in)|log ?in|"
    r"all rights reserved|copyright|privacy policy|terms of (?:use|service)|click here|"
    r"read more|share this|follow us|advertisement|javascript|download (?:the|our) app|"
    r"related (?:articles|stories|posts)|skip to (?:main )?content|comments? (?:are|is) closed)\b",
    re.IGNORECASE,
)
MIN_WORDS = 6
MAX_WORDS = 80
REPEAT_SIMILARITY = 0.5


@dataclass(frozen=True, slots=True)
class _Sentence:
    position: int
    text: str
    vector: dict[str, float]


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``; paragraphs (lines) never run together.

    A full stop ends a sentence only before a capital, digit or opening quote, and not after a
    known abbreviation or an initial ("J. R. R. Tolkien", "e.g. this").
    """
    found: list[str] = []
    for paragraph in _CITATION.sub("", text).splitlines():
        paragraph = _LIST_MARKER.sub("", " ".join(paragraph.split()))
        start = 0
        for match in _TERMINAL.finditer(paragraph):
            end = match.end()
            if end < len(paragraph) and not _starts_sentence(paragraph[end]):
                continue
            if _ends_with_abbreviation(paragraph[start : match.start() + 1]):
                continue
            found.append(paragraph[start:end].strip())
            start = end
        found.append(paragraph[start:].strip())
    return [sentence for sentence in found if sentence]


def _starts_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in _OPENERS or not char.isascii()


def _ends_with_abbreviation(fragment: str) -> bool:
    words = fragment.rstrip(".").rsplit(None, 1)
    last = words[-1].lower().lstrip(_OPENERS) if words else ""
    return fragment.endswith(".") and (last in _ABBREVIATIONS or len(last) == 1)


def is_boilerplate(sentence: str) -> bool:
    """True for text that is page furniture rather than article prose."""
    words = _WORD.findall(sentence)
    letters = [char for char in sentence if char.isalpha()]
    if not MIN_WORDS <= len(words) <= MAX_WORDS or not _ENDS_LIKE_SENTENCE.search(sentence):
        return True
    shouting = sum(char.isupper() for char in letters) > 0.6 * len(letters)
    mostly_symbols = len(letters) < 0.6 * len(sentence.replace(" ", ""))
    return (
        shouting
        or mostly_symbols
        or bool(_URL.search(sentence))
        or bool(_BOILERPLATE.search(sentence))
    )


def _vectors(sentences: list[str]) -> list[Counter[str]]:
    return [Counter(word.lower() for word in _WORD.findall(sentence)) for sentence in sentences]


def _weighted(counts: list[Counter[str]]) -> list[dict[str, float]]:
    """TF-IDF over sentences: a word in every sentence gets weight zero."""
    total = len(counts)
    document_frequency = Counter(word for count in counts for word in count)
    idf = {word: math.log(total / df) for word, df in document_frequency.items()}
    return [{word: tf * idf[word] for word, tf in count.items() if idf[word]} for count in counts]


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(weight * b.get(word, 0.0) for word, weight in a.items())
    norms = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norms if norms else 0.0


def _candidates(text: str) -> list[_Sentence]:
    prose = [(i, s) for i, s in enumerate(split_sentences(text)) if not is_boilerplate(s)]
    vectors = _weighted(_vectors([s for _, s in prose]))
    return [_Sentence(i, s, v) for (i, s), v in zip(prose, vectors, strict=True)]


def representative_sentences(
    text: str, max_sentences: int = 3, max_chars: int = 600, limit_chars: int = 100_000
) -> list[str]:
    """Up to ``max_sentences`` central, non-repetitive sentences of ``text``, in text order.

    At least one sentence is returned whenever the text has prose, even one longer than
    ``max_chars``; further sentences are added only while the total stays within it.
    """
    candidates = _candidates(text[:limit_chars])
    centroid: dict[str, float] = {}
    for sentence in candidates:
        for word, weight in sentence.vector.items():
            centroid[word] = centroid.get(word, 0.0) + weight
    ranked = sorted(candidates, key=lambda s: (-_cosine(s.vector, centroid), s.position))
    chosen: list[_Sentence] = []
    for sentence in ranked:
        if len(chosen) == max_sentences:
            break
        length = sum(len(c.text) + 1 for c in chosen) + len(sentence.text)
        if chosen and length > max_chars:
            continue
        if any(_cosine(sentence.vector, c.vector) > REPEAT_SIMILARITY for c in chosen):
            continue
        chosen.append(sentence)
    return [sentence.text for sentence in sorted(chosen, key=lambda s: s.position)]


def extractive_summary(
    text: str | None, max_sentences: int = 3, max_chars: int = 600
) -> str | None:
    """The fallback summary of a page's main text, or ``None`` when it has no prose at all."""
    if not text:
        return None
    return " ".join(representative_sentences(text, max_sentences, max_chars)) or None
