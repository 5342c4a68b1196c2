"""Key-value stores: the ``KvStore`` API, URL parsing, and the memory, file and fsspec (s3, gcs, http, ...) drivers.  Knows nothing of arrays."""
