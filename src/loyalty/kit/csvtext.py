"""The text of a CSV file sent or fetched (of codes, of an airdrop), without IO."""


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message follows "The file" or "The CSV"."""


def decode(data: bytes) -> str:
    """The file's text: UTF-8, a byte order mark dropped."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(f"is not UTF-8 text (byte {exc.start} cannot be read)") from exc
