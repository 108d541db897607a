"""The invented geography every dataset shares: six regions and their postcode districts.

Postcode districts use area letters that no real postal system the course cites uses (Q plus a
letter), so that no real neighbourhood is associated with a planted bias.
"""

from __future__ import annotations

REGIONS = ("Capital", "North", "East", "South", "West", "Central")
REGION_SHARE = (0.27, 0.12, 0.17, 0.18, 0.15, 0.11)
AREA = {"Capital": "QC", "North": "QN", "East": "QE", "South": "QS", "West": "QW", "Central": "QM"}
DISTRICTS_PER_REGION = {"Capital": 12, "North": 8, "East": 9, "South": 10, "West": 9, "Central": 8}


def districts(region: str) -> list[str]:
    return [f"{AREA[region]}{i}" for i in range(1, DISTRICTS_PER_REGION[region] + 1)]


ALL_DISTRICTS = tuple(d for r in REGIONS for d in districts(r))
REGION_OF = {d: r for r in REGIONS for d in districts(r)}

AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
NATIONALITY = ("citizen", "dual_national", "non_citizen")
LANGUAGES = ("national", "arabic", "english", "polish", "somali", "tigrinya", "turkish", "other")
