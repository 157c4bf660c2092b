"""Pure data work on tables: read, map, validate, build, compare. No I/O but files."""
