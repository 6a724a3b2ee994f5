"""Measuring the product: the eval sets (``newsbot eval``) and the benchmarks (``newsbot bench``)."""
