"""The ``microneedling`` command line: thin commands over the clinic services."""
