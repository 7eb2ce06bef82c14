"""Who is calling: the organization a server key belongs to and the websites it may use."""

from dataclasses import dataclass

from loyalty.errors import FieldError, Forbidden, NotFound, ValidationFailed


@dataclass(frozen=True)
class Principal:
    key_id: str
    organization_id: str
    # None: every website of the organization.
    website_ids: frozenset[str] | None

    def check_organization(self, organization_id: str | None) -> None:
        if organization_id is not None and organization_id != self.organization_id:
            raise Forbidden("This API key belongs to another organization")

    def may_use(self, website_id: str) -> bool:
        return self.website_ids is None or website_id in self.website_ids

    def default_website_id(self, website_id: str | None, location: str = "body") -> str:
        """The website a request means: the one it names, or the key's only website."""
        if website_id is not None:
            if not self.may_use(website_id):
                raise NotFound("Website not found", code="website_not_found")
            return website_id
        if self.website_ids is not None and len(self.website_ids) == 1:
            return next(iter(self.website_ids))
        raise ValidationFailed(
            [
                FieldError(
                    "websiteId", "required unless the API key is limited to one website", location
                )
            ]
        )

    def website_scope(self, website_id: str | None) -> frozenset[str] | None:
        """Websites a list may show: the one asked for, or all the key may use (None: all)."""
        if website_id is None:
            return self.website_ids
        if not self.may_use(website_id):
            raise NotFound("Website not found", code="website_not_found")
        return frozenset({website_id})
