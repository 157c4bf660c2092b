"""A keyboard for the walk tests: key presses sent to a real X server (Xvfb) through the
XTEST extension, as a person's keyboard sends them, so the program sees nothing but keys.
ctypes over libX11 and libXtst (which Xvfb's installs carry); Linux only, like the AT-SPI
walks that use it.

Without a window manager nobody gives a new window the keyboard focus, so `focus_window`
does what a window manager does when a window maps: it gives X's input focus to the
topmost window (Qt ignores the pointer-follows-focus of a bare X server)."""

from __future__ import annotations

import ctypes

SHIFTED = {'"': "quotedbl", "!": "exclam", ":": "colon", "?": "question", "_": "underscore",
           "(": "parenleft", ")": "parenright", "&": "ampersand", "@": "at"}
PLAIN = {" ": "space", "-": "minus", ".": "period", "/": "slash", ",": "comma",
         "'": "apostrophe", "=": "equal", ";": "semicolon"}
REVERT_TO_PARENT, CURRENT_TIME = 2, 0


class Keyboard:
    """Keys for the X server `display` (":99")."""

    def __init__(self, display: str) -> None:
        self.x11 = ctypes.CDLL("libX11.so.6")
        self.xtst = ctypes.CDLL("libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XStringToKeysym.restype = ctypes.c_ulong
        self.x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XDefaultRootWindow.restype = ctypes.c_ulong
        self.x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.x11.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                        ctypes.POINTER(ctypes.c_ulong),
                                        ctypes.POINTER(ctypes.c_ulong),
                                        ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
                                        ctypes.POINTER(ctypes.c_uint)]
        self.x11.XSetInputFocus.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int,
                                            ctypes.c_ulong]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                ctypes.c_ulong]
        self.display = self.x11.XOpenDisplay(display.encode())
        if not self.display:
            raise RuntimeError(f"cannot open the X display {display}")

    def close(self) -> None:
        self.x11.XCloseDisplay(self.display)

    def focus_window(self, wanted: int = 0) -> None:
        """X's input focus to the topmost window with a viewable map (the last child of
        the root): a window manager's job."""
        root = self.x11.XDefaultRootWindow(self.display)
        parent, top = ctypes.c_ulong(), ctypes.c_ulong()
        children = ctypes.POINTER(ctypes.c_ulong)()
        count = ctypes.c_uint()
        self.x11.XQueryTree(self.display, root, ctypes.byref(top), ctypes.byref(parent),
                            ctypes.byref(children), ctypes.byref(count))
        windows = [children[i] for i in range(count.value)]
        target = wanted or (windows[-1] if windows else root)
        self.x11.XSetInputFocus(self.display, target, REVERT_TO_PARENT, CURRENT_TIME)
        self.x11.XFlush(self.display)

    def _code(self, name: str) -> int:
        code = int(self.x11.XKeysymToKeycode(self.display, self.x11.XStringToKeysym(
            name.encode())))
        if not code:
            raise ValueError(f"no key for {name!r} on this keyboard")
        return code

    def press(self, name: str, *modifiers: str) -> None:
        """One key (an X keysym name: "Tab", "Return", "space", "r"), with modifiers held
        ("Alt_L", "Shift_L", "Control_L")."""
        codes = [self._code(m) for m in modifiers]
        for code in codes:
            self.xtst.XTestFakeKeyEvent(self.display, code, True, CURRENT_TIME)
        key = self._code(name)
        self.xtst.XTestFakeKeyEvent(self.display, key, True, CURRENT_TIME)
        self.xtst.XTestFakeKeyEvent(self.display, key, False, CURRENT_TIME)
        for code in reversed(codes):
            self.xtst.XTestFakeKeyEvent(self.display, code, False, CURRENT_TIME)
        self.x11.XFlush(self.display)

    def type(self, text: str) -> None:
        for ch in text:
            if ch.isupper():
                self.press(ch.lower(), "Shift_L")
            elif ch in SHIFTED:
                self.press(SHIFTED[ch], "Shift_L")
            else:
                self.press(PLAIN.get(ch, ch))
