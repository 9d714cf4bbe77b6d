"""The stateful fake of Daytona's API and Toolbox API, split by concern: ``core`` (the class,
its switches and transports), ``api`` (sandbox routes and lifecycle), ``records`` (list
filters, order, cursors), ``toolbox`` (execute, sessions, files), ``sessions`` (real shells),
``files`` (a sandbox's tree), ``server`` (loopback HTTP and WebSocket). Import from
``tests.fake_daytona``."""
