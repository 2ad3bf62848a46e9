"""Persistence: the database handle and migrations, the configuration loader, secret hashing.

Only this package (and the composition root) imports SQLAlchemy; engines never do.
"""

from centralino.store.apply import ApplySummary, apply_config, latest_revision
from centralino.store.db import Database, default_url, url_from_env
from centralino.store.export import export_config
from centralino.store.passwords import digest_ha1, hash_password, needs_rehash, verify_password

# Imported here so the sip_bindings table is in Base.metadata whenever the store is (migrations, checks).
from centralino.store.sip_bindings import SqlBindingStore, SqlCredentialSource

# The call records' tables, likewise (imported before the store that uses them).
from centralino.store.call_records import CallRow, RecordingRow  # isort: skip
from centralino.store.call_record_store import CallFilter, CallRecordStore  # isort: skip

__all__ = [
    "ApplySummary",
    "CallFilter",
    "CallRecordStore",
    "CallRow",
    "Database",
    "RecordingRow",
    "SqlBindingStore",
    "SqlCredentialSource",
    "apply_config",
    "default_url",
    "digest_ha1",
    "export_config",
    "hash_password",
    "latest_revision",
    "needs_rehash",
    "url_from_env",
    "verify_password",
]
