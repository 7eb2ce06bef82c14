"""The OpenAPI document as the API really answers: validation errors are 400, not 422."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for operation in _operations(schema):
                _replace_validation_response(operation["responses"])
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in schema.get("paths", {}).values() for op in path.values()]


def _replace_validation_response(responses: dict[str, Any]) -> None:
    """FastAPI documents its own 422 for request validation; this API answers 400 (with
    every bad field), and keeps 422 for business refusals."""
    default = responses.get("422", {})
    if default.get("description") == "Validation Error":
        del responses["422"]
        responses.setdefault("400", {"description": "Invalid request: every bad field is listed"})
