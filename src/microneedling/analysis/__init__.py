"""Measure the skin from standardized face photos: landmarks, zones, metrics, comparison."""
