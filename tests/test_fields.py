"""`--fields` offers exactly the fields the API's schemas have (tests/openapi.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from daytona_cli import fields

SPEC = yaml.safe_load((Path(__file__).with_name("openapi.yaml")).read_text())


@pytest.mark.parametrize(
    ("schema", "names"),
    [
        ("SandboxListItem", fields.SANDBOX_LIST_FIELDS),
        ("Sandbox", fields.SANDBOX_FIELDS),
        ("SnapshotDto", fields.SNAPSHOT_FIELDS),
    ],
)
def test_the_fields_offered_are_the_schemas_properties(schema: str, names: tuple[str, ...]) -> None:
    assert list(names) == list(SPEC["components"]["schemas"][schema]["properties"])
