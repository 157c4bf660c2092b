"""The conversion as data: steps, prerequisites, status, checklist. Qt-free."""
