"""Pure rules for user identities."""

import re

_EVM = re.compile(r"^0x[0-9a-fA-F]{40}$")


def is_evm_address(address: str) -> bool:
    return bool(_EVM.match(address))


def normalize_wallet(address: str) -> str:
    """EVM addresses are case-insensitive (checksums are only a display form), so they are
    kept lower-case; other chains' addresses (Solana, Ultra, ...) are case-sensitive."""
    address = address.strip()
    return address.lower() if is_evm_address(address) else address
