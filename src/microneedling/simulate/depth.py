"""How deep a needle gets: nominal length against the zone's epidermis and dermis.

Skin deforms under the needle, so a needle enters far less than its length: the penetration
efficiency (Kalluri 2011: 152.5 um channels from 770 um needles) scales nominal to effective depth.
The rule lives in :mod:`microneedling.core.anatomy`, shared with the planner, so a plan and its
simulation speak of a depth in the same words.
"""

from __future__ import annotations

from microneedling.core.anatomy import DepthReach, Layer, depth_reached, layer_at, zone_depth

__all__ = ["DepthReach", "Layer", "depth_reached", "layer_at", "zone_depth"]
