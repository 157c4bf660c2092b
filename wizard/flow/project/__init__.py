"""The project itself: its folder and lock, its settings and their changes, the state of each
step, the workbook password, and how outputs are named. Every other room of `flow` stands on
this one; it imports none of them. Nothing is re-exported here: import the module you need.
"""
