"""tiktok_post: the user publishes a TikTok post containing a text; rewarded per eligible
post or by its impressions."""

from collections.abc import Iterator

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata
from loyalty.rules.registry import MANUAL, Capabilities, RuleType
from loyalty.rules.types.twitter import (
    CheckText,
    RewardCriteria,
    Seconds,
    impressions_problems,
)


class TikTokMetadata(Metadata):
    checkText: CheckText | None = None
    requirePostLink: bool | None = None
    requirePostMediaLink: bool | None = None
    preGeneratedPostText: str | None = None
    rewardCriteria: RewardCriteria | None = None
    rewardPerImpression: bool | None = None
    rewardQualityPosts: bool | None = None
    timeDelayToVerifySeconds: Seconds | None = None


def check_tiktok(draft: Draft) -> Iterator[FieldError]:
    assert isinstance(draft.metadata, TikTokMetadata)
    yield from impressions_problems(draft)


TYPES = [
    RuleType(
        "tiktok_post",
        "The user posts on TikTok with a text; rewarded per eligible post or per impression.",
        TikTokMetadata,
        Capabilities(claim_types=MANUAL),
        check_tiktok,
        "The user posts and claims (submitting the post's link when requirePostLink); the post "
        "is checked for checkText on claim: a user's action, so manual.",
    )
]
