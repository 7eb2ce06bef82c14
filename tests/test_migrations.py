"""The migrations build exactly the schema the models describe, on either database."""

from alembic import command
from alembic.config import Config

from tests.support import ROOT


def test_models_match_migrations(database_url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    command.check(config)  # raises when autogenerate would find anything to do
