"""Loyalty currencies: ``POST /api/loyalty/currencies``, ``GET /api/loyalty/currencies``."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, Field

from loyalty.api.deps import PrincipalDep, ReadSessionDep, WriteSessionDep
from loyalty.api.snag.common import ERRORS, PageQuery, WireModel, list_scope
from loyalty.kit.pagination import Page, split_page
from loyalty.ledger import currencies
from loyalty.ledger.amounts import from_units
from loyalty.ledger.models import Currency
from loyalty.tenancy import service as tenancy_service

router = APIRouter(tags=["currencies"], responses=ERRORS)


def _unsupported(value: str | None) -> str | None:
    if value is not None:
        raise ValueError("not supported: currencies backed by an external API cannot be stored")
    return value


def _no_auth(value: str | None) -> str | None:
    return None if value == "none" else _unsupported(value)


# Snag's externally backed currencies; accepted only as null until they can be stored.
ExternalApiField = Annotated[str | None, AfterValidator(_unsupported)]
AuthType = Literal["none", "basic", "bearer", "apiKey"]
Bound = Annotated[Decimal | None, Field(allow_inf_nan=False)]


class CurrencyCreate(WireModel):
    name: str = Field(description="1 to 255 characters")
    symbol: str = Field(description="1 to 32 characters")
    decimals: int = Field(description="Decimal places, 0 to 6")
    organizationId: str | None = None
    websiteId: str | None = None
    imageUrl: str | None = None
    sortId: int | None = None
    defaultValue: Bound = Field(None, description="Opening balance of every user")
    minimumValue: Bound = Field(None, description="Lowest balance, at least 0")
    maximumValue: Bound = Field(None, description="Highest balance")
    apiAuthKey: ExternalApiField = None
    apiAuthType: Annotated[AuthType | None, AfterValidator(_no_auth)] = None
    apiAuthValue: ExternalApiField = None
    apiGetTransactionEntryUrl: ExternalApiField = None
    apiGetUrl: ExternalApiField = None
    apiPostUrl: ExternalApiField = None


class CurrencyOut(BaseModel):
    id: str
    organizationId: str
    websiteId: str
    name: str
    symbol: str
    decimals: int
    imageUrl: str | None
    sortId: int | None
    defaultValue: int | float | None
    minimumValue: int | float | None
    maximumValue: int | float | None
    apiAuthKey: None = None
    apiAuthType: None = None
    apiAuthValue: None = None
    apiGetTransactionEntryUrl: None = None
    apiGetUrl: None = None
    apiPostUrl: None = None
    createdById: None = None
    createdAt: datetime
    updatedAt: datetime
    deletedAt: datetime | None

    @classmethod
    def of(cls, currency: Currency) -> "CurrencyOut":
        def units(value: int | None) -> int | float | None:
            return None if value is None else from_units(value, currency.decimals)

        return cls(
            id=currency.id,
            organizationId=currency.organization_id,
            websiteId=currency.website_id,
            name=currency.name,
            symbol=currency.symbol,
            decimals=currency.decimals,
            imageUrl=currency.image_url,
            sortId=currency.sort_id,
            defaultValue=units(currency.default_value),
            minimumValue=units(currency.minimum_value),
            maximumValue=units(currency.maximum_value),
            createdAt=currency.created_at,
            updatedAt=currency.updated_at,
            deletedAt=currency.deleted_at,
        )


@router.post("/api/loyalty/currencies", status_code=201)
async def create_currency(
    body: CurrencyCreate, principal: PrincipalDep, session: WriteSessionDep
) -> CurrencyOut:
    website = await tenancy_service.website_for(
        session, principal, body.websiteId, body.organizationId
    )
    currency = await currencies.create_currency(
        session,
        website,
        name=body.name,
        symbol=body.symbol,
        decimals=body.decimals,
        image_url=body.imageUrl,
        sort_id=body.sortId,
        default_value=body.defaultValue,
        minimum_value=body.minimumValue,
        maximum_value=body.maximumValue,
    )
    return CurrencyOut.of(currency)


class CurrencyQuery(PageQuery):
    includeDeleted: bool = False


@router.get("/api/loyalty/currencies")
async def list_currencies(
    query: Annotated[CurrencyQuery, Query()], principal: PrincipalDep, session: ReadSessionDep
) -> Page[CurrencyOut]:
    scope = await list_scope(session, principal, query)
    rows = await currencies.list_currencies(
        session,
        principal.organization_id,
        scope,
        include_deleted=query.includeDeleted,
        starting_after=query.startingAfter,
        limit=query.limit,
    )
    page, more = split_page(rows, query.limit)
    return Page[CurrencyOut](data=[CurrencyOut.of(c) for c in page], hasNextPage=more)
