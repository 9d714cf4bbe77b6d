"""daytona-cli: manage Daytona sandboxes from a terminal, a shell script or a CI job."""

__version__ = "0.1.0"
