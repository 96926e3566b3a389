"""Media and documents: uploads in blob storage with a ``file`` row each (deduplicated per owner
by SHA-256), collections, PDF text extraction and reading documents aloud, both as jobs.

Modules: ``sniff`` (type from the bytes, allow-list), ``multipart`` (the upload body),
``pdf`` (inspection and page-by-page text), ``repository`` (SQL), ``blobs`` (the container),
``service`` (files and collections), ``documents`` (extract / speech submission),
``handlers`` (the job handlers), ``api`` (HTTP models). Importing this package opens nothing.
"""
