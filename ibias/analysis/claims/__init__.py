"""The reproduced claims, one module each; a module defines CLAIM (or CLAIMS, a list of them).

To add one: write `ibias/analysis/claims/<name>.py` with `CLAIM = Claim(...)` (ibias/analysis/claim.py),
its experiment configs under configs/experiment/, and its section in docs/reproductions.md; the
runner, `scripts/reproduce.py --list` and the tests (quick in `make test`, full in `make test-slow`)
find it here.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..claim import Claim


def all_claims() -> dict[str, Claim]:
    """Return {name: Claim} of every claim module in this package, sorted by name."""
    found: dict[str, Claim] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        claims = getattr(module, "CLAIMS", None) or ([module.CLAIM] if hasattr(module, "CLAIM") else [])
        for claim in claims:
            if claim.name in found:
                raise ValueError(f"two claims are named {claim.name!r} ({info.name}.py and another module)")
            found[claim.name] = claim
    return dict(sorted(found.items()))
