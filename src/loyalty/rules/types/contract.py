"""smart_contract_event: reward users whose address appears in events (or function calls) of
the contract at ``collectionAddress``, every event or only those whose parameters match."""

from collections.abc import Iterator
from typing import Literal

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata, Strict
from loyalty.rules.registry import AUTO, Capabilities, RuleType


class Param(Strict):
    name: str | None = None
    condition: str | None = None
    value: str | None = None


class AmountMultiplier(Strict):
    valueMapping: str | None = None


class SmartContract(Strict):
    event: str | None = None
    criteria: Literal["everyEvent", "byParameter"] | None = None
    params: list[Param] | None = None
    addressMapping: str | None = None
    amountMultiplier: AmountMultiplier | None = None
    contractId: str | None = None
    type: Literal["function", "event"] | None = None


class SmartContractMetadata(Metadata):
    smartContract: SmartContract | None = None


def check_smart_contract(draft: Draft) -> Iterator[FieldError]:
    f, m = draft.fields, draft.metadata
    assert isinstance(m, SmartContractMetadata)
    if not (f.collectionAddress or "").strip() and draft.usable("collectionAddress"):
        yield FieldError("collectionAddress", "is required for smart_contract_event rules")
    contract = m.smartContract
    if contract is None:
        return
    if contract.criteria == "byParameter" and not contract.params:
        yield FieldError(
            "metadata.smartContract.params", "at least one parameter is required with byParameter"
        )
    for index, param in enumerate(contract.params or ()):
        if not (param.name or "").strip():
            yield FieldError(f"metadata.smartContract.params[{index}].name", "is required")


TYPES = [
    RuleType(
        "smart_contract_event",
        "Reward addresses found in a contract's events or calls, optionally filtered by "
        "parameter; maxAmountPerInterval caps what one user earns.",
        SmartContractMetadata,
        Capabilities(claim_types=AUTO, needs_network=True),
        check_smart_contract,
        "The contract's events are read on chain and the address of addressMapping is rewarded "
        "(times the amountMultiplier parameter if set); nothing for the user to submit, so auto.",
    )
]
