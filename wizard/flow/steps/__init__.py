"""The conversion's steps, one module each: the checklist (coordination), export-flags, the
exchange with Daffron (send, fetch-xref), renumbering (import-xref) and verification. No step
imports another (import-linter checks it): what two steps share lives in `flow.project` or
`flow.records`. Nothing is re-exported here.
"""
