"""Demo treatment plans for the demo patients: goals, interventions and months of weekly sessions.

`outlines` holds the plans as short text outlines and their parser; `seeding` writes them through the
services (`seed_plans`, called by `manage.py seed_demo`); `measures` gives the patients their standardized
scores (`seed_measures`).
"""

from .measures import seed_measures
from .outlines import PLANS, parse_plan
from .seeding import seed_plans

__all__ = ["PLANS", "parse_plan", "seed_measures", "seed_plans"]
