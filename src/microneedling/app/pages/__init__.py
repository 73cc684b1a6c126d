"""Server-rendered pages. Every module here that defines a module-level ``router`` is included
by the app factory (sorted by module name), with its ``PERMISSIONS`` and ``NAV``."""
