"""The OpenAPI document as the API really answers: validation errors are 400, not 422."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

REF = "#/components/schemas/{model}"
# Models of bodies a route reads itself (to report every bad field at once), documented
# here as their request schema.
_BODIES: list[type[BaseModel]] = []


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` of a route that reads a JSON body of this shape itself."""
    _BODIES.append(model)
    schema = {"$ref": REF.format(model=model.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


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
                _keep_only_documented_body(operation)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in _BODIES:
                found = model.model_json_schema(ref_template=REF)
                components.update(found.pop("$defs", {}))
                components[model.__name__] = found
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in schema.get("paths", {}).values() for op in path.values()]


def _keep_only_documented_body(operation: dict[str, Any]) -> None:
    """FastAPI merges ``json_body``'s schema into the plain object it infers: keep the ref."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = content.get("schema", {})
    if "$ref" in schema:
        content["schema"] = {"$ref": schema["$ref"]}


def _replace_validation_response(responses: dict[str, Any]) -> None:
    """FastAPI documents its own 422 for request validation; this API answers 400 (with
    every bad field), and keeps 422 for business refusals."""
    default = responses.get("422", {})
    if default.get("description") == "Validation Error":
        del responses["422"]
        responses.setdefault("400", {"description": "Invalid request: every bad field is listed"})
