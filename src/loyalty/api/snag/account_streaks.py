"""account_streaks routes."""

from fastapi import APIRouter

router = APIRouter()
