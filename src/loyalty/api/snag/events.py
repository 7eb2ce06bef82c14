"""(routes being written)"""

from fastapi import APIRouter

from loyalty.api.snag.common import ERRORS

router = APIRouter(tags=["events"], responses=ERRORS)
