"""The frozen build's own code (installer/convwiz.spec calls it): never part of the program.

build_support: which Qt modules to leave out, which collected files to drop, the walk that
keeps only the shared libraries something kept links to, and the strip; icu_data: ICU's data
library rebuilt without the parts Qt never reads. Both are imported by the spec, under
PyInstaller, and by tests/unit/test_build_support.py, without it.
"""
