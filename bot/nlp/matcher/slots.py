"""An item's slots (its aliases, its excludes, each group of each topic rule) and which of
them a matcher looks for, given what holds: shared by the key scan and the word-level reading."""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Hashable
from typing import Any

from bot.nlp.watchlist import ANY_LANGUAGE, Terms, TopicRule, WatchItem, Watchlist

ALIAS = "alias"

EXCLUDE = "exclude"


def terms_for(terms: Terms, lang: str) -> list[str]:
    """The doc language's phrases plus ``any``; every language's when it has none."""
    if lang in terms and lang != ANY_LANGUAGE:
        return [*terms[lang], *terms.get(ANY_LANGUAGE, [])]
    return [p for phrases in terms.values() for p in phrases]


def item_slots(item: WatchItem) -> list[tuple[Hashable, Terms]]:
    slots: list[tuple[Hashable, Terms]] = [(ALIAS, item.aliases), (EXCLUDE, item.exclude)]
    for r, rule in enumerate(item.rules):
        slots += [(("all", r, i), g) for i, g in enumerate(rule.all_of)]
        slots += [(("any", r, i), g) for i, g in enumerate(rule.any_of)]
        slots += [(("none", r, i), g) for i, g in enumerate(rule.none_of)]
    return slots


def rule_holds(rule: TopicRule, r: int, has: Callable[[Hashable], bool]) -> bool:
    """Rule number ``r`` of an item, given which of its slots are present."""
    return all(has(("all", r, g)) for g in range(len(rule.all_of))) and (
        not rule.any_of or any(has(("any", r, g)) for g in range(len(rule.any_of)))
    )


def is_rule(slot: Hashable) -> bool:
    return isinstance(slot, tuple) and slot[0] in ("all", "any", "none")


def wanted_if(
    watchlist: Watchlist, holds: Callable[[int, int, TopicRule], bool], found: Container[Any]
) -> set[Hashable]:
    """Every slot of each item whose alias was ``found`` or one of whose rules ``holds``
    (item index, rule index, rule): what the matcher then looks for."""
    wanted: set[Hashable] = set()
    for ii, item in enumerate(watchlist.items):
        if (ii, ALIAS) in found or any(holds(ii, r, rule) for r, rule in enumerate(item.rules)):
            wanted.update((ii, slot) for slot, _ in item_slots(item))
    return wanted


def any_wanted(watchlist: Watchlist, present: Collection[tuple[int, Hashable]]) -> bool:
    """Whether ``wanted_slots(watchlist, present)`` is not empty, without building it:
    the screen asks only that, of every document.

    Only the items with something present are asked: an item is wanted through its alias
    or a rule, and a rule holds only with one of its groups present (a rule without any
    group is refused when the watchlist is read). Asking every item cost a skipped
    document a sixth of its time."""
    items = watchlist.items
    for ii in {ii for ii, _slot in present}:
        if (ii, ALIAS) in present:
            return True

        def has(slot: Hashable, ii: int = ii) -> bool:
            return (ii, slot) in present

        if any(rule_holds(rule, r, has) for r, rule in enumerate(items[ii].rules)):
            return True
    return False


def wanted_slots(watchlist: Watchlist, present: set[tuple[int, Hashable]]) -> set[Hashable]:
    return wanted_if(
        watchlist,
        lambda ii, r, rule: rule_holds(rule, r, lambda slot: (ii, slot) in present),
        present,
    )
