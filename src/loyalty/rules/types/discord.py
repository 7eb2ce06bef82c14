"""connected_discord: the user connects a Discord account and, optionally, joins servers, is
active in their channels (a text, emojis) and holds roles."""

from collections.abc import Iterator

from loyalty.errors import FieldError
from loyalty.rules.definition import Draft, Metadata, Strict
from loyalty.rules.registry import BOTH, Capabilities, RuleType


class Emoji(Strict):
    id: str | None = None


class Channel(Strict):
    id: str | None = None
    emojis: list[Emoji] | None = None
    # A phrase the user's message in the channel must contain.
    text: str | None = None


class Role(Strict):
    id: str


class DiscordServer(Strict):
    id: str | None = None
    channels: list[Channel] | None = None
    roles: list[Role] | None = None


class DiscordMetadata(Metadata):
    discordServersToJoin: list[DiscordServer] | None = None
    enableJoinDiscordServers: bool | None = None


def _blank(value: str | None) -> bool:
    return not (value or "").strip()


def check_discord(draft: Draft) -> Iterator[FieldError]:
    m = draft.metadata
    assert isinstance(m, DiscordMetadata)
    servers = m.discordServersToJoin or []
    given = servers or "discordServersToJoin" in draft.bad_metadata
    if m.enableJoinDiscordServers and not given:
        yield FieldError(
            "metadata.discordServersToJoin",
            "at least one server is required when enableJoinDiscordServers is true",
        )
    seen: dict[str, int] = {}
    for index, server in enumerate(servers):
        path = f"metadata.discordServersToJoin[{index}]"
        if _blank(server.id):
            yield FieldError(f"{path}.id", "is required")
        elif server.id in seen:
            yield FieldError(f"{path}.id", f"repeats discordServersToJoin[{seen[server.id]}]")
        else:
            seen[server.id or ""] = index
        for c, channel in enumerate(server.channels or ()):
            if _blank(channel.id):
                yield FieldError(f"{path}.channels[{c}].id", "is required")
            for e, emoji in enumerate(channel.emojis or ()):
                if _blank(emoji.id):
                    yield FieldError(f"{path}.channels[{c}].emojis[{e}].id", "is required")
        for r, role in enumerate(server.roles or ()):
            if _blank(role.id):
                yield FieldError(f"{path}.roles[{r}].id", "is required")


TYPES = [
    RuleType(
        "connected_discord",
        "The user connects Discord and optionally joins servers, posts in channels, holds roles.",
        DiscordMetadata,
        Capabilities(claim_types=BOTH, intervals=frozenset({"once", "daily", "weekly", "monthly"})),
        check_discord,
        "Membership, roles and channel messages are read from Discord: on the user's claim "
        "(manual) or when the account is connected and on schedule (auto), so both.",
    )
]
