"""What the project keeps of what happened: the Parquet snapshots of each export, the
re-registration history, the audit log's state, and which known file a given file is.
Stands on `flow.project` only. Nothing is re-exported here.
"""
