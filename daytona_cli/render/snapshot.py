"""How a snapshot looks in a list."""

from __future__ import annotations

from daytona_cli.render.columns import Column, field_column, time_column
from daytona_cli.render.text import quantity


def _amount(heading: str, key: str, unit: str, decimals: int | None = None) -> Column:
    return Column(
        heading, lambda obj, human: quantity(obj.get(key), unit, human, decimals=decimals)
    )


SNAPSHOT_COLUMNS = (
    field_column("NAME", "name", no_wrap=True),
    field_column("STATE", "state", style="state"),
    _amount("SIZE", "size", "GB", decimals=2),  # the API gives a snapshot's size in GB
    _amount("CPU", "cpu", ""),
    _amount("MEMORY", "mem", "GiB"),
    _amount("DISK", "disk", "GiB"),
    time_column("CREATED", "createdAt"),
)
