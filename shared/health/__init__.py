"""Liveness and dependency checks behind the health endpoints."""
