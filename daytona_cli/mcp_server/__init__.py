"""``daytona-cli mcp``: the CLI's eight sandbox actions as tools for AI agents, over MCP.

``tools.py`` and ``execute.py`` do the work with the CLI's own code and know nothing of MCP;
``server.py`` puts them on the MCP Python SDK (the optional ``mcp`` extra) and is imported
only by ``daytona-cli mcp``; ``hosts.py`` words the snippets that register the server with an
agent host. Importing this package imports nothing.
"""
