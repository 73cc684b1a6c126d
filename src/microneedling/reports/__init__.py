"""Reports and plots for people to read; no science here, only presentation."""
