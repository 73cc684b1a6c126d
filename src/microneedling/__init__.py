"""Plan, record, predict and measure microneedling (collagen induction therapy) of the face.

This software records, predicts and measures; it is not medical advice. The clinician decides.
"""

__version__ = "0.1.0"

DISCLAIMER = (
    "This is not medical advice: microneedling records, predicts and measures; "
    "the treating clinician decides."
)
