"""docs/rule-types.md is generated from the registry and must not go stale."""

from typer.testing import CliRunner

from loyalty.cli import app
from loyalty.rules import catalogue
from tests.support import ROOT

DOC = ROOT / "docs" / "rule-types.md"


def test_the_document_matches_the_registry() -> None:
    assert DOC.read_text() == catalogue.markdown(), (
        "docs/rule-types.md is stale: run "
        "`.venv/bin/loyalty rules types --markdown > docs/rule-types.md`"
    )


def test_the_cli_prints_the_table_and_the_document() -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["rules", "types"], env={"COLUMNS": "250"})
    assert table.exit_code == 0, table.output
    assert "TokenHold" in table.output and "check_in" in table.output
    markdown = runner.invoke(app, ["rules", "types", "--markdown"])
    assert markdown.exit_code == 0
    assert markdown.output == catalogue.markdown()
