"""French and English text analysis shared by the database backends.

The same functions analyze what is indexed and what is asked, so both sides
agree by construction: accents and case folded, elisions and plural endings
dropped, a few grammatical words ignored. Elasticsearch gets the equivalent
chain as an analyzer (see `search.elasticsearch`).
"""

import functools
import re
import unicodedata

# Letters that Unicode does not decompose into a base letter plus accents.
_LIGATURES = str.maketrans(
    {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ð": "d",
     "’": "'", "ʼ": "'", "‘": "'", "`": "'"}
)
# French elided articles and pronouns (l'innovation, d'entreprise, qu'il,
# jusqu'au) and the English possessive 's: the part that is dropped.
ELISIONS = frozenset({"l", "d", "qu", "j", "m", "t", "s", "n", "c", "jusqu", "lorsqu", "puisqu", "quoiqu"})
# Words too common to help, in both languages; matching them would make
# "projets de la ville" demand "de" and "la" in every result.
STOPWORDS = frozenset(
    "a au aux de des du en et la le les ou un une pour par sur dans avec the of and an in to for on at by or with".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_ORIGINAL_WORD = re.compile(r"\w+(?:['’]\w+)*")

MAX_QUERY_TERMS = 12


def fold(text: str) -> str:
    """Lowercase without accents: `Société Québec` → `societe quebec`."""
    if text.isascii():
        return text.lower().replace("`", "'")
    text = text.lower().translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def stem(word: str) -> str:
    """A light French and English stemmer: plural endings only (`innovations`, `réseaux`, `sociaux`)."""
    if len(word) > 4 and word.endswith("aux") and not word.endswith("eaux"):
        return word[:-3] + "al"
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(folded: str) -> list[str]:
    words = []
    for token in _WORD.findall(folded):
        parts = token.split("'")
        # An elided article before the apostrophe goes; so does a possessive 's after it.
        kept = [part for index, part in enumerate(parts) if not (part in ELISIONS and len(parts) > 1)]
        words.extend(kept)
    return words


def analyze(text: str) -> list[str]:
    """The index terms of `text`, in order, repeated as they occur."""
    return [stem(word) for word in _words(fold(text or "")) if _is_meaningful(word)]


def _is_meaningful(word: str) -> bool:
    return word.isdigit() or (len(word) > 1 and word not in STOPWORDS)


def query_terms(text: str) -> list[str]:
    """The distinct terms of a query, in order, at most MAX_QUERY_TERMS."""
    return list(dict.fromkeys(analyze(text)))[:MAX_QUERY_TERMS]


def prefix_terms(text: str) -> list[str]:
    """For autocomplete: every word as a prefix (`soc gen` → Société Générale), the last one kept even if short."""
    words = _words(fold(text))
    prefixes = [stem(word) for word in words[:-1] if _is_meaningful(word)]
    if words:
        prefixes.append(stem(words[-1]))
    return list(dict.fromkeys(prefixes))[:MAX_QUERY_TERMS]


def max_edits(term: str) -> int:
    """Typos forgiven in a term: none under 5 letters, one up to 8, two from 9."""
    if len(term) < 5:
        return 0
    return 1 if len(term) <= 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a transposition counts as one edit), or limit + 1 past `limit`.

    Only the diagonal band |i - j| <= limit is computed: cells outside it exceed the limit anyway.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    over = limit + 1
    width = len(b)
    previous2: list[int] = []
    previous = [j if j <= limit else over for j in range(width + 1)]
    for i in range(1, len(a) + 1):
        current = [over] * (width + 1)
        if i <= limit:
            current[0] = i
        low, high = max(1, i - limit), min(width, i + limit)
        row_best = current[0]
        for j in range(low, high + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            if value < row_best:
                row_best = value
        if row_best > limit:
            return over
        previous2, previous = previous, current
    return previous[width] if previous[width] <= limit else over


def fuzzy_matches(term: str, candidates: list[str]) -> list[str]:
    """The candidates within the typo allowance of `term` (the term itself excluded)."""
    limit = max_edits(term)
    if not limit:
        return []
    return [c for c in candidates if c != term and edit_distance(term, c, limit) <= limit]


@functools.lru_cache(maxsize=65536)
def _word_terms(word: str) -> frozenset[str]:
    return frozenset(stem(part) for part in fold(word).split("'") if part)


def snippet(text: str, terms: set[str], words: int = 24, look_at: int = 200) -> str:
    """A plain-text extract of `text` around the first word whose term is in `terms`.

    Only the first `look_at` words are examined: a snippet is a hint, not a proof.
    """
    found = []
    start = 0
    for index, match in enumerate(_ORIGINAL_WORD.finditer(text or "")):
        found.append(match)
        if not start and index < look_at and _word_terms(match.group()) & terms:
            start = max(0, index - words // 4) or -1
        if (start and len(found) >= max(start, 0) + words + 1) or index >= look_at + words:
            break
    if not found:
        return ""
    start = max(start, 0)
    end = min(len(found), start + words)
    extract = " ".join(text[found[start].start() : found[end - 1].end()].split())
    more = end < len(found) or found[-1].end() < len(text.rstrip(" .!?"))
    return ("… " if start else "") + extract + (" …" if more else "")
