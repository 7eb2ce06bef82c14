"""promo_codes routes."""

from fastapi import APIRouter

router = APIRouter()
