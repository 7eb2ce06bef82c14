"""One renderer for every error of the native API."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from loyalty.errors import FieldError, LoyaltyError, ValidationFailed, clean_message, field_path


def _from_pydantic(exc: RequestValidationError) -> ValidationFailed:
    errors = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        location = str(loc[0]) if loc and loc[0] in ("body", "query", "path", "header") else "body"
        rest = loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc
        # Drop the union/tag member names pydantic inserts into the location.
        rest = tuple(p for p in rest if not (isinstance(p, str) and p.startswith("function-")))
        message = clean_message(str(error.get("msg", "invalid")))
        errors.append(FieldError(field_path(rest) or location, message, location))
    return ValidationFailed(errors)


def install(app: FastAPI) -> None:
    @app.exception_handler(LoyaltyError)
    async def _loyalty_error(_request: Request, exc: LoyaltyError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        failed = _from_pydantic(exc)
        return JSONResponse(failed.body(), status_code=failed.status_code)
