"""Benchmarks behind ``newsbot bench``: they print numbers and are never timed assertions."""
