"""Long-running work: a ``jobs`` row in PostgreSQL (the source of truth), a storage-queue message
carrying only the job id, and a worker (a Container Apps job, ``python -m jobs run <kind>``, or a
queue-triggered function) that claims the row, runs the kind's handler and records the outcome.

Modules: ``models`` (the row), ``repository`` (SQL), ``queues`` (messages), ``limits`` (per-caller
limits in Redis), ``results`` (result files in blob storage), ``service`` (what the HTTP endpoints
call), ``context`` (what a handler sees), ``execution`` (one delivery, start to finish),
``runner`` (the Container Apps job loop), ``trigger`` (the queue-triggered function adapter).
Importing this package opens nothing.
"""
