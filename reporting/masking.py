"""Statistical secrecy of the aggregates (SPEC §7): a count under the threshold is masked, and no masked
value can be recovered from what is shown.

A report is a set of cells (counts, each at a path such as ("exits_by_reason", "abandon")) and of linear
relations between them (a total is the sum of its parts; a rate's denominator is its numerator plus its
complement; the same figure shown twice). Some cells are never shown (the complement of a rate, the
remainder of a breakdown). Suppression works in two passes:

1. primary: every shown count from 1 to threshold - 1 is masked; a hidden cell in that range is sensitive;
2. secondary: the reader can solve any relation where one cell only is unknown. While a masked or sensitive
   cell can be derived that way (transitively), the smallest non-zero shown cell of the relation that gives it
   away is masked too. A rate whose numerator or denominator is masked is masked whole.

Zero is not masked: it describes nobody. Nor are counts of things rather than people (conventions, COPIL
actions, childcare providers and places): they are registered as not sensitive. Counts are only ever
removed, never perturbed.
"""

from dataclasses import dataclass, field


@dataclass
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self):
        return round(self.numerator / self.denominator, 3) if self.denominator else None

    @property
    def complement(self):
        return self.denominator - self.numerator


@dataclass
class Cells:
    values: dict = field(default_factory=dict)  # path -> int
    shown: set = field(default_factory=set)
    not_sensitive: set = field(default_factory=set)  # counts of things, not of people
    relations: list = field(default_factory=list)  # (total path, (part paths))
    rates: list = field(default_factory=list)  # (numerator path, denominator path)

    def count(self, path, value, *, shown=True, sensitive=True):
        self.values[path] = int(value)
        if shown:
            self.shown.add(path)
        if not sensitive:
            self.not_sensitive.add(path)
        return path

    def rate(self, path, rate):
        numerator = self.count((*path, "numerator"), rate.numerator)
        denominator = self.count((*path, "denominator"), rate.denominator)
        complement = self.count((*path, "complement"), rate.complement, shown=False)
        self.relation(denominator, [numerator, complement])
        self.rates.append((numerator, denominator))
        return path

    def relation(self, total, parts):
        self.relations.append((total, tuple(parts)))

    def same(self, first, second):
        """Two paths hold the same figure (a rate shown in two places, a total shown twice)."""
        self.relation(first, [second])


def suppress(cells, threshold):
    """The set of masked paths (shown cells only)."""
    if threshold <= 1:
        return set()

    def small(path):
        return path not in cells.not_sensitive and 0 < cells.values[path] < threshold

    masked = {path for path in cells.shown if small(path)}
    sensitive_hidden = {path for path in cells.values if path not in cells.shown and small(path)}

    def tie_rates():
        changed = False
        for numerator, denominator in cells.rates:
            if (numerator in masked) != (denominator in masked):
                masked.update((numerator, denominator))
                changed = True
        return changed

    tie_rates()
    involved = {}
    for index, (total, parts) in enumerate(cells.relations):
        for path in (total, *parts):
            involved.setdefault(path, []).append(index)

    for _ in range(10 * len(cells.values) + 10):  # each round masks one more cell: bounded
        known = _closure(cells, {path for path in cells.shown if path not in masked})
        leaks = sorted(path for path in (masked | sensitive_hidden) if path in known)
        if not leaks:
            return masked
        leak = leaks[0]
        candidates = []
        for index in involved.get(leak, []):
            total, parts = cells.relations[index]
            others = [path for path in (total, *parts) if path != leak]
            if all(path in known for path in others):
                candidates = [path for path in others if path in cells.shown and path not in masked]
                if candidates:
                    break
        if not candidates:  # given away through hidden cells only: hide every shown cell of its relations
            candidates = [
                path
                for index in involved.get(leak, [])
                for path in (cells.relations[index][0], *cells.relations[index][1])
                if path in cells.shown and path not in masked
            ]
            if not candidates:
                return masked
        non_zero = [path for path in candidates if cells.values[path] > 0] or candidates
        masked.add(min(non_zero, key=lambda path: (path in _totals(cells), cells.values[path], path)))
        tie_rates()
    return masked


def _totals(cells):
    return {total for total, parts in cells.relations if len(parts) > 1}


def _closure(cells, known):
    """Every cell the reader can compute from the known ones through the relations."""
    known = set(known)
    changed = True
    while changed:
        changed = False
        for total, parts in cells.relations:
            unknown = [path for path in (total, *parts) if path not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return known
