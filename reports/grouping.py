"""Near-identical questions count once: "how do i print the rota?" and
"How do I print the rota" are one group.

scikit-learn (installed with Rasa, so nothing new to pin): TF-IDF over
character n-grams within words, which shrugs off case, punctuation and a
typo, and weighs the words a question shares with few others above "how do
i"; cosine similarity at or above THRESHOLD links two questions, and the
groups are the links' connected components (scipy), so A~B and B~C put all
three together.
"""

from collections import Counter
from dataclasses import dataclass
from typing import List, Sequence, Tuple

from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

# Links rewordings by punctuation, case or a typo; keeps apart questions
# that share their frame but not their subject (tests/report checks both).
THRESHOLD = 0.75


@dataclass(frozen=True)
class Group:
    example: str  # the group's most frequent wording
    count: int
    kinds: Tuple[str, ...]
    texts: Tuple[str, ...]  # each wording once, most frequent first


def normal(text: str) -> str:
    return " ".join(text.lower().split())


def group_texts(items: Sequence[Tuple[str, str]]) -> List[Group]:
    """Groups (text, kind) pairs; most frequent first, then first asked."""
    items = [(text, kind) for text, kind in items if text.strip()]
    if not items:
        return []
    texts = [normal(text) for text, _ in items]
    if len(set(texts)) == 1:
        labels = [0] * len(items)
    else:
        vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit_transform(texts)
        linked = cosine_similarity(vectors, dense_output=False) >= THRESHOLD
        _, found = connected_components(linked, directed=False)
        labels = list(found)
    members: dict = {}
    for index, label in enumerate(labels):
        members.setdefault(label, []).append(index)
    groups = []
    for indices in members.values():
        wordings = Counter(items[i][0] for i in indices)
        ordered = sorted(wordings, key=lambda t: (-wordings[t], indices_first(items, indices, t)))
        kinds = tuple(sorted({items[i][1] for i in indices}))
        groups.append((min(indices), Group(ordered[0], len(indices), kinds, tuple(ordered))))
    groups.sort(key=lambda pair: (-pair[1].count, pair[0]))
    return [group for _, group in groups]


def indices_first(items: Sequence[Tuple[str, str]], indices: Sequence[int], text: str) -> int:
    return next(i for i in indices if items[i][0] == text)
