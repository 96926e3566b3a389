"""Clients for the backing stores, created lazily and cached per process.

Logic never builds clients itself: it takes them as arguments or asks these factories, so tests
and hosts can inject others. Importing this package opens nothing.
"""
