"""Opaque identifiers: UUIDv7 strings, so ordering by id is ordering by creation time."""

import uuid_utils


def new_id() -> str:
    return str(uuid_utils.uuid7())
