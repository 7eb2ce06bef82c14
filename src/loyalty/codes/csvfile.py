"""CSV files of codes, read and written. Pure: no IO.

A file of codes has a code per line in its first column; other columns are ignored, so the
file the engine exports (``code,used,usedBy``) can be imported again. A first line whose
first cell is a header (``code``, ``promoCode``, ``promo_code``) is skipped, and so are blank
lines. A line is bad when its code is empty, too long or holds control characters.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from loyalty.codes.keys import CODE_MAX, code_key
from loyalty.kit import csvtext

HEADERS = frozenset({"code", "codes", "promocode", "promo_code", "promo code"})
# How many bad lines an import reports (it counts them all).
BAD_LINES_SHOWN = 100


@dataclass(frozen=True)
class BadLine:
    line: int
    message: str

    def as_dict(self) -> dict[str, int | str]:
        return {"line": self.line, "message": self.message}


@dataclass
class ParsedCodes:
    """The codes of a file, first occurrence kept (by key), and what was wrong with it."""

    codes: list[str] = field(default_factory=list)
    duplicates: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    bad_line_count: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.bad_line_count == 0

    def bad(self, line: int, message: str) -> None:
        self.bad_line_count += 1
        if len(self.bad_lines) < BAD_LINES_SHOWN:
            self.bad_lines.append(BadLine(line, message))


def parse_codes(data: bytes) -> ParsedCodes:
    """The codes of a CSV file (UTF-8, with or without a byte order mark)."""
    parsed = ParsedCodes()
    try:
        text = csvtext.decode(data)
    except csvtext.FileProblem as problem:
        parsed.error = f"The file {problem}"
        return parsed
    seen: set[str] = set()
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), strict=True), 1):
            _read_row(parsed, seen, number, row)
    except csv.Error as exc:
        parsed.error = f"The file is not a readable CSV: {exc}"
        return parsed
    if not parsed.codes and parsed.ok:
        parsed.error = "The file holds no codes"
    return parsed


def _read_row(parsed: ParsedCodes, seen: set[str], number: int, row: list[str]) -> None:
    if not any(cell.strip() for cell in row):
        return
    code = row[0].strip()
    if number == 1 and code.casefold() in HEADERS:
        return
    problem = code_problem(code)
    if problem is not None:
        parsed.bad(number, problem)
        return
    key = code_key(code)
    if key in seen:
        parsed.duplicates += 1
        return
    seen.add(key)
    parsed.codes.append(code)


def code_problem(code: str) -> str | None:
    """Why a code (already stripped) cannot be a code, or None."""
    if not code:
        return "the code (first column) is empty"
    if len(code) > CODE_MAX:
        return f"the code is longer than {CODE_MAX} characters"
    if not code.isprintable():
        return "the code holds control characters"
    return None


EXPORT_HEADER = ("code", "used", "usedBy")


def export_lines(rows: Iterable[tuple[str, str | None]], *, header: bool) -> str:
    """CSV text of ``(code, user who used it or None)`` rows, with the header if asked."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(EXPORT_HEADER)
    for code, user_id in rows:
        writer.writerow((code, "true" if user_id else "false", user_id or ""))
    return out.getvalue()
