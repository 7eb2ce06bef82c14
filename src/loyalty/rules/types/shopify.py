"""shopify_spend: reward purchases in a Shopify store, by amount spent (ranges allowed)."""

from collections.abc import Iterator

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata
from loyalty.rules.registry import AUTO, Capabilities, RuleType


class ShopifyMetadata(Metadata):
    pass


def check_shopify(draft: Draft) -> Iterator[FieldError]:
    f = draft.fields
    if not (f.shopifyStoreUrl or "").strip() and draft.usable("shopifyStoreUrl"):
        yield FieldError("shopifyStoreUrl", "is required for shopify_spend rules")
    # The token authenticates once, when the rule is created, and is never stored: an edit
    # does not need it.
    token_missing = not (f.shopifyStoreAccessToken or "").strip()
    if draft.creating and token_missing and draft.usable("shopifyStoreAccessToken"):
        yield FieldError(
            "shopifyStoreAccessToken", "is required to create shopify_spend rules (not stored)"
        )


TYPES = [
    RuleType(
        "shopify_spend",
        "Reward purchases in a Shopify store, by amount spent.",
        ShopifyMetadata,
        Capabilities(claim_types=AUTO, ranges=True),
        check_shopify,
        "Orders of the store are read from Shopify and matched to users; nothing for the user "
        "to submit, so auto. The access token is used once, at creation, and not stored.",
    )
]
