"""Field hierarchy: which fields nest in which (found in the labels), and decoding them together.

Why: Freshservice's category → sub-category → item are a tree (an update with a sub-category that is
not under its category is refused), and in helpdesk data most finer labels sit under one coarser label.
Fields predicted one by one disagree now and then (a sub-category of another category). Decoding
parent and child together picks the best *pair seen in training*: the parent's score takes the
child's evidence (max-product over the allowed pairs) and the child is chosen among the values seen
under the chosen parent. On the Endava dev tickets it removes the 2 % inconsistent category /
sub-category pairs at no cost in accuracy (docs/benchmarks.md, "Triage classification").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

MIN_PURITY = 0.9  # share of a child's labelled rows under the parent value it usually has
MIN_LIFT = 0.15  # ... above the share of the parent's most common value (else any field "nests" in a skewed one)

# a child's allowed pairs: a stack of (parent classes × child classes) tables and, per row, which table applies
Tables = tuple[np.ndarray, np.ndarray]


def find_hierarchy(labels: Mapping[str, Sequence[str | None]], min_purity: float = MIN_PURITY,
                   min_lift: float = MIN_LIFT) -> dict[str, str]:
    """child → parent: a field nests in a field with fewer values when each of its values mostly comes
    with one parent value (``min_purity`` of the rows, ``min_lift`` above the parent's majority share).
    The parent with the most lift wins; parents have fewer values, so there is no cycle."""
    sizes = {f: len({v for v in values if v is not None}) for f, values in labels.items()}
    out: dict[str, str] = {}
    for child, child_values in labels.items():
        best: tuple[float, str] | None = None
        for parent, parent_values in labels.items():
            if sizes[parent] >= sizes[child] or sizes[parent] < 2:
                continue
            pairs = [(c, p) for c, p in zip(child_values, parent_values, strict=True) if c is not None and p is not None]
            if not pairs:
                continue
            by_child: dict[str, Counter[str]] = {}
            for c, p in pairs:
                by_child.setdefault(c, Counter())[p] += 1
            purity = sum(counts.most_common(1)[0][1] for counts in by_child.values()) / len(pairs)
            lift = purity - Counter(p for _, p in pairs).most_common(1)[0][1] / len(pairs)
            if purity >= min_purity and lift >= min_lift and (best is None or lift > best[0]):
                best = (lift, parent)
        if best is not None:
            out[child] = best[1]
    return out


def pair_table(parent_index: np.ndarray, child_index: np.ndarray, n_parent: int, n_child: int) -> np.ndarray:
    """Parent classes × child classes: True where the pair occurs (indexes < 0 = label missing, skipped)."""
    table = np.zeros((n_parent, n_child), dtype=bool)
    both = (parent_index >= 0) & (child_index >= 0)
    table[parent_index[both], child_index[both]] = True
    return table


def _depth(field: str, parents: Mapping[str, str]) -> int:
    depth = 0
    while field in parents:
        field = parents[field]
        depth += 1
    return depth


def decode_hierarchy(probs: Mapping[str, np.ndarray], parents: Mapping[str, str],
                     tables: Mapping[str, Tables]) -> dict[str, np.ndarray]:
    """Each field's probabilities (rows × classes, the same rows for every field) rescored so their
    argmaxes are the best consistent assignment: children send the parent, for each parent value, their
    best allowed score (deepest first); then, from the roots down, a child keeps only the values allowed
    under the parent's choice (all of them if none is). Rows stay normalised."""
    own = {f: np.array(p, dtype=np.float64) for f, p in probs.items()}
    for field in sorted(own, key=lambda f: -_depth(f, parents)):
        parent = parents.get(field)
        if parent is None or parent not in own:
            continue
        stack, which = tables[field]
        message = np.empty((len(own[field]), stack.shape[1]))
        for t in np.unique(which):
            rows = which == t
            message[rows] = np.stack([(own[field][rows] * stack[t, a]).max(axis=1) for a in range(stack.shape[1])],
                                     axis=1)
        own[parent] = _normalised(own[parent] * message, fallback=own[parent])
    out: dict[str, np.ndarray] = {}
    for field in sorted(own, key=lambda f: _depth(f, parents)):
        parent = parents.get(field)
        q = own[field]
        if parent is not None and parent in out:
            stack, which = tables[field]
            mask = stack[which, out[parent].argmax(axis=1)]
            q = _normalised(q * mask, fallback=q)
        out[field] = _normalised(q, fallback=q)
    return out


def _normalised(p: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Rows scaled to sum 1; a row that became all zero (no allowed value) keeps ``fallback``."""
    total = p.sum(axis=1, keepdims=True)
    dead = total[:, 0] <= 0
    out = p / np.where(total > 0, total, 1.0)
    if dead.any():
        back = fallback[dead]
        out[dead] = back / np.maximum(back.sum(axis=1, keepdims=True), 1e-12)
    return np.asarray(out)
