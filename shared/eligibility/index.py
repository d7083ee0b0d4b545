"""Which of many offers a citizen may see (B-1), fast enough for thousands of offers. Pure.

``EligibilityIndex`` compiles the rules of all offers once. Identical rules (same type,
condition and value) across offers become one test, so deciding a citizen runs each distinct
test once and spreads its result with bitsets (Python ints) to every group holding it:

* every group of every offer is a bit ("slot"); a failed rule clears the "Alle" groups that
  hold it, a rule that holds satisfies the "Enhver" groups that hold it;
* offers are ranked by their number of groups (most first), and slot ``offsets[k] + rank`` is
  group ``k`` of the offer at ``rank``, so the ``k``-th groups of all offers are one
  contiguous run of bits lined up with the offer bits: joining groups by "Og"/"Eller" is a
  handful of shifts, ANDs and ORs per group position.

The result equals ``compile_rules(rules).matches(facts)`` for every offer (a property test
checks this) and is returned in the order the offers were given.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from itertools import compress
from typing import Generic, TypeVar

from shared.eligibility.citizen import Facts
from shared.eligibility.evaluation import Decision, Test, explain, rule_test
from shared.eligibility.model import Condition, Join, Match, RuleSet, RuleType, RuleValue
from shared.eligibility.reference import DEFAULT_REFERENCE, ReferenceData

K = TypeVar("K", bound=Hashable)
_FLAGS = bytes.maketrans(b"01", b"\x00\x01")


def _bits(positions: list[int], width: int) -> int:
    """An int with exactly the given bit positions set."""
    if not positions:
        return 0
    buffer = bytearray((width + 7) // 8)
    for position in positions:
        buffer[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(buffer, "little")


class EligibilityIndex(Generic[K]):
    """The rules of many offers, compiled together; ``eligible(facts)`` lists the offers a citizen may see."""

    def __init__(self, offers: Iterable[tuple[K, RuleSet]]):
        entries = list(offers)
        self._rules: dict[K, RuleSet] = dict(entries)
        if len(self._rules) != len(entries):
            raise ValueError("every offer must have its own key")
        self._keys = [key for key, _ in entries]
        count = len(entries)
        ranked = sorted(range(count), key=lambda i: -len(entries[i][1].groups))  # stable: ties keep their order
        self._position_by_rank = ranked
        sizes = [len(entries[i][1].groups) for i in ranked]
        depth = sizes[0] if sizes else 0
        widths = [sum(1 for size in sizes if size > k) for k in range(depth)]
        offsets = [sum(widths[:k]) for k in range(depth)]
        slot_count = sum(widths)

        atoms: dict[tuple[RuleType, Condition, RuleValue], tuple[list[int], list[int]]] = {}
        all_slots: list[int] = []
        any_slots: list[int] = []
        and_offers: list[int] = []
        or_offers: list[int] = []
        for rank, position in enumerate(ranked):
            rules = entries[position][1]
            (and_offers if rules.join is Join.AND else or_offers).append(rank)
            for k, group in enumerate(rules.groups):
                slot = offsets[k] + rank
                is_all = group.match is Match.ALL
                (all_slots if is_all else any_slots).append(slot)
                for rule in group.rules:
                    in_all, in_any = atoms.setdefault((rule.type, rule.condition, rule.value), ([], []))
                    (in_all if is_all else in_any).append(slot)

        by_type: dict[RuleType, list[tuple[Test, int, int]]] = {}
        for (rule_type, condition, value), (in_all, in_any) in atoms.items():
            entry = (rule_test(condition, value), _bits(in_all, slot_count), _bits(in_any, slot_count))
            by_type.setdefault(rule_type, []).append(entry)
        self._tests = tuple((rule_type, tuple(entries_)) for rule_type, entries_ in by_type.items())
        self._distinct_rules = len(atoms)
        self._all_slots = _bits(all_slots, slot_count)
        self._any_slots = _bits(any_slots, slot_count)
        self._and_offers = _bits(and_offers, count)
        self._or_offers = _bits(or_offers, count)
        self._everyone = (1 << count) - 1
        self._positions = tuple(
            (offset, (1 << width) - 1, self._everyone ^ ((1 << width) - 1))
            for offset, width in zip(offsets, widths, strict=True)
        )

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def distinct_rules(self) -> int:
        """How many different rules the offers hold (each is tested once per citizen)."""
        return self._distinct_rules

    def rules_of(self, key: K) -> RuleSet:
        return self._rules[key]

    def eligible(self, facts: Facts) -> list[K]:
        """The keys of the offers whose rules the citizen satisfies, in the order given."""
        failed_all = 0  # slots of "Alle" groups with a rule that does not hold
        held_any = 0  # slots of "Enhver" groups with a rule that holds
        for rule_type, tests in self._tests:
            fact = facts[rule_type]
            for test, in_all, in_any in tests:
                if test(fact):
                    if in_any:
                        held_any |= in_any
                elif in_all:
                    failed_all |= in_all
        groups_held = (self._all_slots & ~failed_all) | (self._any_slots & held_any)
        all_held = self._everyone  # offers joined by "Og": no group position fails
        any_held = 0  # offers joined by "Eller": some group position holds
        for offset, width_mask, without_group in self._positions:
            held = (groups_held >> offset) & width_mask
            all_held &= held | without_group
            any_held |= held
        return self._keys_of((all_held & self._and_offers) | (any_held & self._or_offers))

    def is_eligible(self, key: K, facts: Facts) -> bool:
        return self.explain(key, facts).eligible

    def explain(self, key: K, facts: Facts, reference: ReferenceData = DEFAULT_REFERENCE) -> Decision:
        """Why the citizen may or may not see the offer ``key`` (for staff, and the 403 on booking)."""
        return explain(self._rules[key], facts, reference)

    def _keys_of(self, ranks: int) -> list[K]:
        if not ranks:
            return []
        flags = format(ranks, "b")[::-1].encode("ascii").translate(_FLAGS)  # byte r = 1 when rank r is in
        positions = sorted(compress(self._position_by_rank, flags))
        keys = self._keys
        return [keys[position] for position in positions]
