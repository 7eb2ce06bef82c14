"""Files sent to the API (CSVs of codes and of airdrops): the body itself (``text/csv``)
or the part named ``file`` of a multipart form, at most ``kit.fetch.MAX_BYTES``."""

from fastapi import Request
from starlette.datastructures import UploadFile

from loyalty.errors import FieldError, ValidationFailed
from loyalty.kit.fetch import MAX_BYTES, read_capped, too_large

CSV_TYPES = ("text/csv", "text/plain", "application/csv")
HOW_TO_SEND = "send the CSV as a text/csv body, or as multipart/form-data with a file field `file`"
# The OpenAPI description of such a body.
CSV_BODY = {
    "requestBody": {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        }
    }
}


async def csv_upload(request: Request) -> bytes:
    """The CSV sent; 400 naming ``body`` or ``file`` when there is none or it is too large."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        sent = form.get("file")
        if not isinstance(sent, UploadFile):
            raise ValidationFailed([FieldError("file", f"is required: {HOW_TO_SEND}")])
        data = await sent.read(MAX_BYTES + 1)
    elif kind in CSV_TYPES:
        data = await read_capped(request.stream())
    else:
        raise ValidationFailed([FieldError("body", HOW_TO_SEND)])
    if len(data) > MAX_BYTES:
        raise ValidationFailed([FieldError("file", too_large())])
    return data
