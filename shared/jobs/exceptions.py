"""Exceptions of the jobs package. Handlers raise the first two; the others are the worker's."""

from __future__ import annotations


class JobError(Exception):
    """Base class of the jobs package's exceptions."""


class JobInputError(JobError):
    """The job's input cannot be processed (retrying will not help): the job fails at once."""


class JobCancelledError(JobError):
    """The job was cancelled; raised at the handler's next checkpoint."""


class JobInterruptedError(JobError):
    """The worker is stopping (SIGTERM); the job is handed back for another worker."""


class JobLeaseLostError(JobError):
    """Another worker claimed the job (this worker's lease ran out); stop without writing."""


class JobStoreError(JobError):
    """The job store or queue could not be reached."""
