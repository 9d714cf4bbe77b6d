"""The stateful fake of Daytona's API and Toolbox API, split by concern: ``core`` (the class,
its switches and transports), ``api`` (sandbox routes and lifecycle), ``records`` (list
filters, order, cursors), ``toolbox`` (execute, sessions, files), ``sessions`` (real shells),
``files`` (a sandbox's tree), ``server`` (loopback HTTP and WebSocket), ``traffic`` (what a
fake in another process was sent and answered, for the contract check). Import from
``tests.fake_daytona``."""
