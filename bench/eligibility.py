"""Benchmark: list the offers one citizen may see among 5,000 offers with 10 rules each.

Run from the repository root: ``.venv/bin/python -m bench.eligibility [--offers N] [--rules N]
[--repeats N] [--seed N]``. Prints figures only (issue 4 targets under 5 ms per listing; this
script reports, it does not assert). The timed step is what the booking service does per
request: the citizen's facts on the day, then ``EligibilityIndex.eligible``. For comparison it
also times deciding each offer's compiled rules one by one.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from shared.eligibility import (
    CitizenProfile,
    EligibilityIndex,
    RuleSet,
    RuleType,
    compile_rules,
    parse_citizen,
    parse_rules,
)
from shared.eligibility.model import ALLOWED_CONDITIONS
from shared.eligibility.reference import DEFAULT_REFERENCE, ReferenceData

DAY = date(2026, 11, 26)
JOB_CENTRES = ("10101", "10102", "14701", "16501", "25901")
OTHER_ACTORS = tuple(f"Anden aktør {n}" for n in range(1, 9))
REFERENCE = DEFAULT_REFERENCE.with_changes(other_actors=OTHER_ACTORS, job_centres=JOB_CENTRES)


def random_value(rng: random.Random, rule_type: RuleType, reference: ReferenceData) -> Any:
    if rule_type is RuleType.AGE:
        return rng.randint(16, 67)
    if rule_type is RuleType.REGISTRATION_WEEKS:
        return rng.randint(1, 104)
    if rule_type in (RuleType.OTHER_ACTOR, RuleType.IN_ACTIVATION):
        return rng.random() < 0.5
    if rule_type is RuleType.PERSON_GROUP_MARKER:
        return rng.choice(reference.person_group_markers).code
    values = reference.list_for(rule_type)
    assert values is not None
    return rng.choice(values.values)


def random_rules(rng: random.Random, rule_count: int, reference: ReferenceData) -> dict[str, Any]:
    """The JSON form of ``rule_count`` random rules in 1-3 groups."""
    group_count = rng.randint(1, min(3, rule_count))
    cuts = sorted(rng.sample(range(1, rule_count), group_count - 1))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, rule_count], strict=True)]
    groups = []
    for size in sizes:
        rules = []
        for _ in range(size):
            rule_type = rng.choice(list(RuleType))
            condition = rng.choice(ALLOWED_CONDITIONS[rule_type])
            rules.append(
                {
                    "type": rule_type.value,
                    "condition": condition.value,
                    "value": random_value(rng, rule_type, reference),
                }
            )
        groups.append({"match": rng.choice(["all", "any", "any"]), "rules": rules})
    return {"join": rng.choice(["and", "or"]), "groups": groups}


def citizen() -> CitizenProfile:
    return parse_citizen(
        {
            "cpr": "150396-4321",
            "contact_group": "Dagpengemodtager",
            "assessment_group": "Jobparat",
            "person_group_markers": ["STAT-UNGE"],
            "job_centre": "10101",
            "other_actor": False,
            "registration_date": "2026-05-04",
            "in_activation": True,
            "unemployment_fund": "3F A-kasse",
        },
        REFERENCE,
    )


def timed(step: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    """Milliseconds per run, and the last result."""
    result: object = None
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = step()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def summary(times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    return f"median {statistics.median(times):7.3f} ms   p95 {p95:7.3f} ms   (n={len(times)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=5000)
    parser.add_argument("--rules", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    start = time.perf_counter()
    offers: list[tuple[int, RuleSet]] = [
        (n, parse_rules(random_rules(rng, args.rules, REFERENCE), REFERENCE)) for n in range(args.offers)
    ]
    validated_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    index = EligibilityIndex(offers)
    built_ms = (time.perf_counter() - start) * 1000
    compiled = [(key, compile_rules(rules)) for key, rules in offers]
    person = citizen()

    listing_times, listed = timed(lambda: index.eligible(person.facts_on(DAY)), args.repeats)

    def one_by_one() -> list[int]:
        facts = person.facts_on(DAY)
        return [key for key, rules in compiled if rules.matches(facts)]

    loop_times, looped = timed(one_by_one, max(10, args.repeats // 5))
    assert listed == looped, "the index and the one-by-one evaluation disagree"

    print(f"offers: {args.offers} with {args.rules} rules each; distinct rules: {index.distinct_rules}")
    print(f"validate (parse_rules) all offers: {validated_ms:9.1f} ms")
    print(f"build EligibilityIndex:            {built_ms:9.1f} ms")
    print(f"eligible offers for the citizen:   {len(listed)}")
    print(f"list eligible (index):      {summary(listing_times)}   target < 5 ms")
    print(f"list eligible (one by one): {summary(loop_times)}")


if __name__ == "__main__":
    main()
