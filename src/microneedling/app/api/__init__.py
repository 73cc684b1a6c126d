"""The JSON API, mounted under ``/api/v1``. Every module here that defines a module-level
``router`` is included by the app factory (sorted by module name), with its ``PERMISSIONS``."""
