"""The wizard's window: Qt lives here and nowhere else (DESIGN.md, "Layers")."""
