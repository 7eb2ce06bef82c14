"""The rule-type table as Markdown: ``docs/rule-types.md`` is this text (a test fails when
the file is stale; ``loyalty rules types`` prints it)."""

from collections.abc import Iterable

from loyalty.rules.registry import Capabilities, RuleType, registry

HEADER = """# Rule types

Generated from the rule-type registry (`src/loyalty/rules/types/`) by
`loyalty rules types --markdown > docs/rule-types.md`; a test fails when this file is stale.

Every type accepts the common fields of seed 001. The table says which values of the
capability fields each type supports; anything else is refused with a 400 naming the field.
Frequency `none` and interval `custom` go together (`custom` needs
`metadata.customIntervalDays` where the type allows it); interval `every_message` is not
supported by any type here.

"""


def _values(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def _ranges(caps: Capabilities) -> str:
    if not caps.ranges:
        return "no"
    return f"yes, with metadata.{caps.ranges_need}" if caps.ranges_need else "yes"


def rows() -> list[tuple[str, ...]]:
    table: list[tuple[str, ...]] = []
    for kind in sorted(registry().values(), key=lambda k: (k.family, k.name.lower())):
        caps = kind.capabilities
        table.append(
            (
                kind.name,
                kind.family,
                _values(caps.reward_types),
                _values(caps.claim_types),
                _values(caps.reward_lifetimes),
                _ranges(caps),
                "yes" if caps.progress else "no",
                _values(caps.intervals),
                _values(caps.frequencies),
            )
        )
    return table


COLUMNS = (
    "type",
    "family",
    "rewardType",
    "claimType",
    "rewardLifetime",
    "range rewards",
    "trackProgress",
    "interval",
    "frequency",
)


def markdown() -> str:
    lines = [HEADER.rstrip("\n"), "", "## Capabilities", ""]
    lines.append("| " + " | ".join(COLUMNS) + " |")
    lines.append("|" + "---|" * len(COLUMNS))
    lines += ["| " + " | ".join((f"`{row[0]}`", *row[1:])) + " |" for row in rows()]
    lines += ["", "## What each type verifies", ""]
    for kind in sorted(registry().values(), key=lambda k: (k.family, k.name.lower())):
        lines += [f"### `{kind.name}`", "", kind.summary, "", _verification(kind), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _verification(kind: RuleType) -> str:
    fields = sorted(name for name in kind.metadata.model_fields if name not in _SHARED_METADATA)
    own = f"Metadata of its own: {', '.join(f'`{n}`' for n in fields)}." if fields else ""
    return " ".join(part for part in (kind.verification, own) if part)


def _shared() -> frozenset[str]:
    from loyalty.rules.definition import Metadata

    return frozenset(Metadata.model_fields)


_SHARED_METADATA = _shared()
