"""X (Twitter) rules: following an account, liking, reposting or commenting a post, posting
with a hashtag or a text, and having followers; the ``drip_x_*`` rules are verified through
Drip."""

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata, Number
from loyalty.rules.registry import ALL_INTERVALS, AUTO, MANUAL, Capabilities, RuleType


def _check_text(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        return value
    if isinstance(value, list):
        if not value:
            raise ValueError("must list at least one text")
        if all(isinstance(item, str) and item.strip() for item in value):
            return value
    raise ValueError("must be a text or a list of non-empty texts")


def _seconds(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return value
    raise ValueError("must be a whole number of seconds, 0 or more")


# Text the post (or comment) must contain: one text, or several (all of them).
CheckText = Annotated[str | list[str], BeforeValidator(_check_text)]
Seconds = Annotated[int | str, BeforeValidator(_seconds)]
RewardCriteria = Literal["IMPRESSIONS_COUNT", "ELIGIBLE_POST"]

ONCE = frozenset({"once"})
PERIODS = frozenset({"once", "daily", "weekly", "monthly"})
REPEATABLE = ALL_INTERVALS


class TwitterMetadata(Metadata):
    """Keys every X rule takes."""

    timeDelayToVerifySeconds: Seconds | None = None
    hasVerifiedTwitter: bool | None = None
    enableVerifiedMultiplier: bool | None = None
    verifiedMultiplier: Number | None = Field(None, gt=0)


class AccountMetadata(TwitterMetadata):
    """The account to follow, or whose post to engage with."""

    twitterUsername: str | None = None
    twitterUserId: str | None = None
    twitterAccountUrl: str | None = None


class PostMetadata(AccountMetadata):
    twitterPostUrl: str | None = None


class CommentMetadata(PostMetadata):
    checkText: CheckText | None = None


class DripTweetMetadata(CommentMetadata):
    checkLike: bool | None = None
    checkRepost: bool | None = None
    checkComment: bool | None = None


class PostTextMetadata(TwitterMetadata):
    """A post the user writes."""

    checkText: CheckText | None = None
    requirePostLink: bool | None = None
    requirePostMediaLink: bool | None = None
    preGeneratedPostText: str | None = None


class HashtagMetadata(PostTextMetadata):
    twitterHashtag: str | None = None


class NewTweetMetadata(PostTextMetadata):
    rewardCriteria: RewardCriteria | None = None
    rewardPerImpression: bool | None = None
    rewardQualityPosts: bool | None = None


class FollowersMetadata(TwitterMetadata):
    rewardCriteria: RewardCriteria | None = None


def missing(draft: Draft, *names: str) -> Iterator[FieldError]:
    """``metadata.<name>`` for each metadata key that is absent or blank."""
    for name in names:
        value = getattr(draft.metadata, name, None)
        if name in draft.bad_metadata:
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            yield FieldError(f"metadata.{name}", f"is required for {draft.fields.type} rules")


def verified_problems(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, TwitterMetadata)
    given = m.verifiedMultiplier is not None or "verifiedMultiplier" in draft.bad_metadata
    if m.enableVerifiedMultiplier and not given:
        yield FieldError(
            "metadata.verifiedMultiplier", "is required when enableVerifiedMultiplier is true"
        )


def impressions_problems(draft: Draft) -> Iterator[FieldError]:
    if getattr(draft.metadata, "rewardPerImpression", None) and (
        getattr(draft.metadata, "rewardCriteria", None) != "IMPRESSIONS_COUNT"
    ):
        yield FieldError("metadata.rewardPerImpression", "needs rewardCriteria IMPRESSIONS_COUNT")


def check_account(draft: Draft) -> Iterator[FieldError]:
    """twitter_follow: the account, and the credentials to ask X about it."""
    yield from missing(draft, "twitterUsername", "twitterUserId")
    f = draft.fields
    if not (f.oauthCredentialsId or "").strip() and draft.usable("oauthCredentialsId"):
        yield FieldError("oauthCredentialsId", f"is required for {f.type} rules")
    yield from verified_problems(draft)


def check_like(draft: Draft) -> Iterator[FieldError]:
    yield from check_account(draft)
    yield from missing(draft, "twitterPostUrl")


def check_post(draft: Draft) -> Iterator[FieldError]:
    """Retweet, twitter_comment, drip_x_tweet: the post to engage with."""
    yield from missing(draft, "twitterPostUrl")
    yield from verified_problems(draft)


def check_drip_follow(draft: Draft) -> Iterator[FieldError]:
    yield from missing(draft, "twitterUsername")
    yield from verified_problems(draft)


def check_hashtag(draft: Draft) -> Iterator[FieldError]:
    yield from missing(draft, "twitterHashtag")
    m = draft.metadata
    assert isinstance(m, HashtagMetadata)
    if m.twitterHashtag and any(c.isspace() for c in m.twitterHashtag.strip()):
        yield FieldError("metadata.twitterHashtag", "is one hashtag, without spaces")
    yield from verified_problems(draft)


def check_new_tweet(draft: Draft) -> Iterator[FieldError]:
    yield from impressions_problems(draft)
    yield from verified_problems(draft)


CLAIMED = (
    "The user claims and the engine asks X (through oauthCredentialsId) whether the user "
    "did it: a user's action, verified on claim, so manual."
)
POST_NEEDED = (
    " It is about one post, so metadata.twitterPostUrl is required: without it there is "
    "nothing to verify."
)
DRIP = "Verified through Drip when the user claims: manual only (seed 001)."

TYPES = [
    RuleType(
        "twitter_follow",
        "The user follows an X account.",
        AccountMetadata,
        Capabilities(claim_types=MANUAL, intervals=ONCE),
        check_account,
        CLAIMED + " A follow is rewarded once.",
    ),
    RuleType(
        "twitter_like",
        "The user likes a post.",
        PostMetadata,
        Capabilities(claim_types=MANUAL, intervals=ONCE),
        check_like,
        CLAIMED + POST_NEEDED + " twitterUsername and twitterUserId name its author (seed 001).",
    ),
    RuleType(
        "Retweet",
        "The user reposts a post.",
        PostMetadata,
        Capabilities(claim_types=MANUAL, intervals=ONCE),
        check_post,
        CLAIMED + POST_NEEDED,
    ),
    RuleType(
        "twitter_comment",
        "The user replies to a post, optionally with a text (checkText).",
        CommentMetadata,
        Capabilities(claim_types=MANUAL, intervals=ONCE),
        check_post,
        CLAIMED + POST_NEEDED,
    ),
    RuleType(
        "twitter_post_hashtag",
        "The user posts with a hashtag.",
        HashtagMetadata,
        Capabilities(claim_types=MANUAL, intervals=REPEATABLE),
        check_hashtag,
        "The user posts with twitterHashtag and claims (submitting the post's link when "
        "requirePostLink): a user's action verified on claim, so manual.",
    ),
    RuleType(
        "twitter_followers",
        "Reward the follower count of the user's X account, by range.",
        FollowersMetadata,
        Capabilities(
            claim_types=AUTO, ranges=True, ranges_need="rewardCriteria", intervals=PERIODS
        ),
        verified_problems,
        "The follower count of the user's connected account is read by the scheduler and paid "
        "by range; nothing for the user to submit, so auto.",
    ),
    RuleType(
        "drip_x_follow",
        "The user follows an X account (verified through Drip).",
        AccountMetadata,
        Capabilities(claim_types=MANUAL, intervals=ONCE),
        check_drip_follow,
        DRIP + " The account to follow (twitterUsername) is required; a follow counts once.",
    ),
    RuleType(
        "drip_x_tweet",
        "The user likes, reposts or comments a post (verified through Drip).",
        DripTweetMetadata,
        Capabilities(claim_types=MANUAL, intervals=ONCE),
        check_post,
        DRIP + POST_NEEDED,
    ),
    RuleType(
        "drip_x_new_tweet",
        "The user posts a new post containing a text (verified through Drip); ranges allowed.",
        NewTweetMetadata,
        Capabilities(claim_types=MANUAL, ranges=True, intervals=REPEATABLE),
        check_new_tweet,
        DRIP + " Ranges are allowed: seed 001's Tweet Challenge example pays by range.",
    ),
]
