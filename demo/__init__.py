"""Demo roster and history for `make run` (``flask --app wsgi seed-demo``); the product never
imports it: Flask finds the command through the ``flask.commands`` entry point."""
