"""The ``newsbot`` command line (typer): parses arguments and calls the parts that do the work."""
