"""Predict what a treatment does: punctures, injured area, depth against skin layers, the healing
course, and micro-channel absorption of a topical product. Pure NumPy/SciPy functions.
"""
