"""What the PM hands to people: the biller workbook and evidence pack, the outreach lists,
the not-registered list, the email drafts (templates, reminder) and the conversion calendar.
Reads the steps' results; no step imports a paper. Nothing is re-exported here.
"""
