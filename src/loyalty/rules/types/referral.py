"""referred_user: a user joins through a referral; the referred user earns ``amount`` and the
referrer ``metadata.referrerReward``, once the referred user meets the requirements."""

from collections.abc import Iterator

from pydantic import Field

from loyalty.errors import FieldError
from loyalty.rules.checks import Reference
from loyalty.rules.definition import Draft, Metadata, Number, Strict
from loyalty.rules.registry import AUTO, NO_MULTIPLIER, Capabilities, RuleType


class PointsRequirement(Strict):
    amount: Number | None = Field(None, ge=0)
    loyaltyCurrecyId: str | None = None  # sic: the SDK's spelling


class ReferralRequirements(Strict):
    achievePoints: bool | None = None
    points: PointsRequirement | None = None
    completeProfile: bool | None = None
    connectTwitter: bool | None = None
    connectDiscord: bool | None = None
    connectEmail: bool | None = None


class ReferralMetadata(Metadata):
    referrerReward: Number | None = Field(None, ge=0)
    referrerRewardLoyaltyCurrencyId: str | None = None
    referralRequirements: ReferralRequirements | None = None
    # Percentages of a referred user's earnings paid to the first and second level referrer.
    firstReferralReward: Number | None = Field(None, ge=0, le=100)
    secondReferralReward: Number | None = Field(None, ge=0, le=100)

    def references(self) -> list[Reference]:
        found = []
        if self.referrerRewardLoyaltyCurrencyId:
            found.append(
                Reference(
                    "metadata.referrerRewardLoyaltyCurrencyId",
                    "currency",
                    self.referrerRewardLoyaltyCurrencyId,
                )
            )
        points = self.referralRequirements.points if self.referralRequirements else None
        if points is not None and points.loyaltyCurrecyId:
            found.append(
                Reference(
                    "metadata.referralRequirements.points.loyaltyCurrecyId",
                    "currency",
                    points.loyaltyCurrecyId,
                )
            )
        return found


def check_referral(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, ReferralMetadata)
    if m.referrerReward is None and "referrerReward" not in draft.bad_metadata:
        yield FieldError(
            "metadata.referrerReward", "is required: the referrer's reward (0 or more)"
        )
    requirements = m.referralRequirements
    if requirements is not None and requirements.achievePoints:
        points = requirements.points
        if points is None or points.amount is None:
            yield FieldError(
                "metadata.referralRequirements.points.amount",
                "is required when achievePoints is true",
            )


ONCE = frozenset({"once"})

TYPES = [
    RuleType(
        "referred_user",
        "A user joins with another user's referral code (POST /api/referral/users, or "
        "referralCode when the user is saved) and meets metadata.referralRequirements: the "
        "referred user earns amount, the referrer metadata.referrerReward; first and second "
        "level referrers get firstReferralReward / secondReferralReward percent of what the "
        "referred user earns later.",
        ReferralMetadata,
        Capabilities(reward_types=NO_MULTIPLIER, claim_types=AUTO, intervals=ONCE),
        check_referral,
        "Paid by the system when the referral is made or when the referred user changes "
        "(profile saved, points earned) and referralRequirements hold (points earned in all "
        "time, complete profile, Twitter / Discord / email connected): neither user has "
        "anything to submit, so auto; a referral is rewarded once, so once.",
    )
]
