"""One page per step of the wizard (registered by step id in the main window)."""
