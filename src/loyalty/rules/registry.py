"""The rule types: each module of ``loyalty.rules.types`` declares ``TYPES``, a list of
``RuleType``; adding a type is adding one module (or one entry to a family's module).

A type is its metadata model, its capability table (data, read by the common checks and
printed into docs/rule-types.md) and its own checks of required and dependent fields.
"""

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata
from loyalty.rules.vocabulary import FREQUENCIES, INTERVALS, REWARD_TYPES

ALL_INTERVALS = frozenset(INTERVALS) - {"every_message"}
ALL_FREQUENCIES = frozenset(FREQUENCIES)
ALL_REWARDS = frozenset(REWARD_TYPES)
NO_MULTIPLIER = frozenset({"points", "badge"})
MANUAL = frozenset({"manual"})
AUTO = frozenset({"auto"})
BOTH = frozenset({"manual", "auto"})
PERMANENT = frozenset({"permanent"})
ANY_LIFETIME = frozenset({"permanent", "dynamic"})


@dataclass(frozen=True)
class Capabilities:
    """What a rule type supports. ``ranges_need`` names a metadata flag that must be set
    for range rewards (external_rule: trackProgress); ``progress`` allows trackProgress."""

    reward_types: frozenset[str] = ALL_REWARDS
    claim_types: frozenset[str] = MANUAL
    reward_lifetimes: frozenset[str] = PERMANENT
    ranges: bool = False
    ranges_need: str | None = None
    progress: bool = False
    frequencies: frozenset[str] = ALL_FREQUENCIES
    intervals: frozenset[str] = ALL_INTERVALS
    needs_network: bool = False
    # The amount comes from elsewhere (an airdrop's CSV), so ``amount`` is not required.
    amount_optional: bool = False

    @property
    def default_claim_type(self) -> str:
        return "manual" if "manual" in self.claim_types else "auto"


Check = Callable[[Draft], Iterable[FieldError]]


def no_checks(_draft: Draft) -> list[FieldError]:
    return []


@dataclass(frozen=True)
class RuleType:
    name: str
    summary: str
    metadata: type[Metadata]
    capabilities: Capabilities = field(default_factory=Capabilities)
    check: Check = no_checks
    # What completing it means, and why its claim types are what they are (for the docs).
    verification: str = ""
    family: str = ""


@cache
def registry() -> dict[str, RuleType]:
    """Every rule type by name, from the modules of ``loyalty.rules.types``."""
    from loyalty.rules import types as package

    found: dict[str, RuleType] = {}
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for rule_type in getattr(module, "TYPES", ()):
            if rule_type.name in found:
                raise RuntimeError(f"rule type {rule_type.name} declared twice")
            family = rule_type.family or module_info.name
            found[rule_type.name] = RuleType(
                rule_type.name,
                rule_type.summary,
                rule_type.metadata,
                rule_type.capabilities,
                rule_type.check,
                rule_type.verification,
                family,
            )
    return found


def rule_type(name: str) -> RuleType | None:
    return registry().get(name)
