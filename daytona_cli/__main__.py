"""Entry point for ``python -m daytona_cli``."""

from daytona_cli.app import main

if __name__ == "__main__":
    main()
