"""Benchmarks: a synthetic million-post cache and the figures the desk must meet (`socialdesk bench`)."""
