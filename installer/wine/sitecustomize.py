"""Test harness only (installer/wine/setup.sh puts it in the Windows Python's site-packages).

Wine does not hand the Unix environment's QT_* variables to a Windows process, so
installer/wine/python.sh passes each as WINPY_QT_*; here they become QT_* again before
anything imports Qt. And Qt's offscreen platform on Windows looks for fonts only in
QT_QPA_FONTDIR (default: PySide6/lib/fonts, which the wheel does not have): the Debian
fonts CI installs (fonts-dejavu-core) serve, through Wine's Z: drive.
"""

import os

for _name, _value in list(os.environ.items()):
    if _name.upper().startswith("WINPY_QT_"):
        os.environ.setdefault(_name[len("WINPY_"):].upper(), _value)
if "QT_QPA_FONTDIR" not in os.environ and os.path.isdir(r"Z:\usr\share\fonts\truetype\dejavu"):
    os.environ["QT_QPA_FONTDIR"] = r"Z:\usr\share\fonts\truetype\dejavu"
