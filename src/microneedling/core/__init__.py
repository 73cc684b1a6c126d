"""Core types shared by every part: facial zones, clinical enums, parsing and errors."""
