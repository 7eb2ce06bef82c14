"""Query strings as Snag's SDK sends them."""

from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send


class DropEmptyQueryValues:
    """The SDK serialises a ``null`` filter as an empty value (``userId=``); an empty
    value means "no filter", so it is removed before routing sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"=&" in scope["query_string"] + b"&":
            pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            kept = urlencode([(k, v) for k, v in pairs if v != ""])
            scope = {**scope, "query_string": kept.encode("latin-1")}
        await self.app(scope, receive, send)
