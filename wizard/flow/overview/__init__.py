"""Across a project and across projects: a project's status, and the portfolio of every
conversion a PM runs (its files, calendar and where its projects are found). Reads the
steps and papers; nothing below imports it. Nothing is re-exported here.
"""
