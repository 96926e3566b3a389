"""Blueprints, one per feature: binding glue only (parse, call ``shared``, shape the response)."""
