"""The sandbox's seeded company (see ``acme.py`` for the content, ``model.py`` for the shape)."""

from sandbox.seed.acme import COMPANY_DOMAIN, DEMO_EMPLOYEES, EXPECTED_SEATS, build_seed
from sandbox.seed.model import SeedData

__all__ = ["COMPANY_DOMAIN", "DEMO_EMPLOYEES", "EXPECTED_SEATS", "SeedData", "build_seed"]
