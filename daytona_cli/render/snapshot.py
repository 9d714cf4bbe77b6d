"""How a snapshot looks in a list."""

from __future__ import annotations

from daytona_cli.render.columns import amount_column, field_column, time_column

SNAPSHOT_COLUMNS = (
    field_column("NAME", "name"),
    field_column("STATE", "state", style="state"),
    amount_column("SIZE", "size", "GB", priority=1),  # the API gives a snapshot's size in GB
    field_column("CPU", "cpu", priority=3),
    amount_column("MEMORY", "mem", "GiB", priority=4),
    amount_column("DISK", "disk", "GiB", priority=5),
    time_column("CREATED", "createdAt", priority=2),
)
"""Name and state always; when the terminal is too narrow, disk goes first, then memory, CPU,
created and size (the order ``snapshot list --help`` documents)."""
