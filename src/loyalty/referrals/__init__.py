"""Referral codes, referred users and what referrals pay (referred_user rules)."""
