"""Reading an airdrop CSV, without IO: the header, then one row per data line, each either
good (who and how much) or bad (why), so that a bad line costs only itself.

The format: UTF-8 (a byte order mark is ignored), comma-separated, quoting as RFC 4180,
and a header line naming the columns, any case, spaces, ``_`` and ``-`` ignored:
``walletAddress`` (or ``wallet``, ``address``) and/or ``userId`` (or ``user``), and
``amount`` (or ``points``). Other columns are ignored; blank lines are skipped. Every line
names its user by one of the identity columns (not both) and gives an amount greater than
0 with no more decimal places than the currency has; a badge rule's lines need no amount.
"""

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from loyalty.kit import csvtext
from loyalty.kit.csvtext import FileProblem
from loyalty.ledger.amounts import scale
from loyalty.users.identity import normalize_wallet

if TYPE_CHECKING:
    from _csv import Reader

MAX_ROWS = 100_000
WALLET_MAX = 128
ALIASES = {
    "walletaddress": "wallet",
    "wallet": "wallet",
    "address": "wallet",
    "userid": "user",
    "user": "user",
    "amount": "amount",
    "points": "amount",
}
MAX_UNITS = 2**63 - 1
_NUMBER = re.compile(r"^\+?(\d+)(?:\.(\d+))?$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
# Lengths of the hex part of 0x addresses: EVM (40), Sui and Aptos (64).
_HEX_LENGTHS = (40, 64)


@dataclass(frozen=True)
class Row:
    """A data line: good (``code`` None) or bad. ``wallet`` is normalised; the values of
    a bad line are kept as given (cut to their column's length) to show with the error."""

    line: int
    wallet: str | None
    user_id: str | None
    amount: Decimal | None
    code: str | None = None
    message: str | None = None


def decode(data: bytes) -> str:
    """The file's text (see ``kit.csvtext``), which must hold no NUL. Its size is checked
    where it is read (``api.uploads``, ``kit.fetch``). A ``FileProblem`` pays no line."""
    text = csvtext.decode(data)
    if "\x00" in text:
        raise FileProblem("contains NUL characters: it is not a text file")
    return text


def parse(text: str, *, decimals: int, amount_required: bool = True) -> list[Row]:
    """Every data line of the file, in order; duplicates (the same wallet or user id again)
    are bad lines naming the first."""
    reader = csv.reader(io.StringIO(text))
    try:
        rows = _rows(reader, decimals, amount_required)
    except csv.Error as exc:
        raise FileProblem(f"cannot be read as CSV at line {reader.line_num}: {exc}") from exc
    if not rows:
        raise FileProblem("has no data lines after its header")
    return rows


def _rows(reader: "Reader", decimals: int, amount_required: bool) -> list[Row]:
    columns = _header(reader, amount_required)
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) == MAX_ROWS:
            raise FileProblem(f"has more than {MAX_ROWS} lines")
        values = {name: _cell(cells, index) for name, index in columns.items()}
        row = _row(reader.line_num, values, decimals, amount_required)
        rows.append(_unless_duplicate(row, seen))
    return rows


def _header(reader: Iterator[list[str]], amount_required: bool) -> dict[str, int]:
    """The column index of each known column, from the first non-blank line."""
    header = next((cells for cells in reader if any(c.strip() for c in cells)), None)
    if header is None:
        raise FileProblem("is empty: a header line (walletAddress or userId, amount) is needed")
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = ALIASES.get(re.sub(r"[\s_-]", "", cell).lower())
        if name is None:
            continue
        if name in columns:
            raise FileProblem(f"names the {name} column twice in its header")
        columns[name] = index
    if "wallet" not in columns and "user" not in columns:
        raise FileProblem("has no walletAddress or userId column in its header line")
    if amount_required and "amount" not in columns:
        raise FileProblem("has no amount column in its header line")
    return columns


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _row(line: int, values: Mapping[str, str], decimals: int, amount_required: bool) -> Row:
    wallet, user_id = values.get("wallet") or None, values.get("user") or None
    given = Row(line, wallet and wallet[:WALLET_MAX], user_id and user_id[:36], None)
    if wallet and user_id:
        return _bad(given, "ambiguous_user", "give walletAddress or userId, not both")
    if not wallet and not user_id:
        return _bad(given, "missing_user", "walletAddress or userId is required")
    if wallet and (problem := wallet_problem(wallet)):
        return _bad(given, "invalid_wallet", f"walletAddress {problem}")
    if user_id and len(user_id) > 36:
        return _bad(given, "user_not_found", "userId names no user of this website")
    text = values.get("amount", "")
    amount, problem = read_amount(text, decimals) if text or amount_required else (None, None)
    if problem is not None:
        return _bad(given, "invalid_amount", f"amount {problem}")
    return Row(line, wallet and normalize_wallet(wallet), user_id, amount)


def _bad(row: Row, code: str, message: str) -> Row:
    return Row(row.line, row.wallet, row.user_id, None, code, message)


def wallet_problem(wallet: str) -> str | None:
    """Why a wallet address cannot be one (None when it can): addresses of every chain are
    accepted, but a ``0x`` address must be hexadecimal of an EVM, Sui or Aptos length."""
    if len(wallet) > WALLET_MAX:
        return f"must be at most {WALLET_MAX} characters"
    if any(c.isspace() or not c.isprintable() for c in wallet):
        return "must not contain spaces or control characters"
    if wallet.lower().startswith("0x") and not (
        _HEX.match(wallet) and len(wallet) - 2 in _HEX_LENGTHS
    ):
        return "is not a valid 0x address (40 or 64 hexadecimal digits)"
    return None


def read_amount(text: str, decimals: int) -> tuple[Decimal | None, str | None]:
    """The amount of a cell, or why it is none."""
    if not text:
        return None, "is required"
    match = _NUMBER.match(text)
    if match is None:
        negative = text.startswith("-") and _NUMBER.match(text[1:])
        return None, "must not be negative" if negative else "is not a number"
    if len((match.group(2) or "").rstrip("0")) > decimals:
        places = f"at most {decimals} decimal places" if decimals else "no decimal places"
        return None, f"must have {places} (the currency's decimals)"
    amount = Decimal(text.lstrip("+"))
    if amount == 0:
        return None, "must be greater than 0"
    if amount * scale(decimals) > MAX_UNITS:
        return None, "is too large"
    return amount, None


def _unless_duplicate(row: Row, seen: dict[str, int]) -> Row:
    """The row, or a bad one when its wallet or user id came on an earlier good line."""
    if row.code is not None:
        return row
    key = f"w:{row.wallet}" if row.wallet else f"u:{row.user_id}"
    first = seen.setdefault(key, row.line)
    if first != row.line:
        return _bad(row, "duplicate_line", f"names the same user as line {first}")
    return row
