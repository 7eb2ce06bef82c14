"""The worker jobs of airdrops: reading a CSV from its URL, and paying its lines."""

from typing import Any

from loyalty.airdrops import csvfile, payout, service
from loyalty.db import WriteSession
from loyalty.kit.csvtext import FileProblem
from loyalty.kit.fetch import FetchFailed, fetch
from loyalty.rules.models import Rule
from loyalty.worker.jobs import handler


@handler(service.FETCH_JOB)
async def read_url(session: WriteSession, payload: dict[str, Any]) -> None:
    """Read the airdrop's URL and keep its lines; a URL that cannot be read is tried
    again a few times, a file that cannot be read as an airdrop CSV fails the airdrop."""
    airdrop = await service.locked_airdrop(session, payload["airdropId"])
    if airdrop is None or airdrop.state != "pending" or airdrop.parsed_at is not None:
        return
    rule = await session.get(Rule, airdrop.rule_id)
    if rule is None or rule.deleted_at is not None or airdrop.csv_url is None:
        await service.finish(session, airdrop, "failed", service.RULE_DELETED)
        return
    try:
        data = await fetch(airdrop.csv_url)
    except FetchFailed as exc:
        await service.fetch_failed(session, airdrop, str(exc))
        return
    try:
        rows = await service.parse_for(session, rule, csvfile.decode(data))
    except FileProblem as problem:
        await service.finish(session, airdrop, "failed", f"The CSV {problem}")
        return
    except service.CurrencyGone as gone:
        await service.finish(session, airdrop, "failed", gone.message)
        return
    airdrop.message = None
    await service.store_lines(session, airdrop, rule.definition, rows)


@handler(service.PAY_JOB)
async def pay(session: WriteSession, payload: dict[str, Any]) -> None:
    await payout.pay_next_batch(session, payload["airdropId"])
