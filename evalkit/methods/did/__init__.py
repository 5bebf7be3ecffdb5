"""Difference-in-differences: 2x2, two-way fixed effects, event study, staggered adoption.

- :func:`two_by_two` -- the classic 2x2 DiD by OLS with conventional, HC1 and CR1
  cluster-robust standard errors and the 2x2 table of means;
- :func:`twfe` -- two-way fixed effects regression (linearmodels ``PanelOLS``);
- :func:`event_study` -- leads and lags with binned endpoints, joint pre-trend test;
- :func:`staggered` -- Callaway & Sant'Anna (2021) group-time ATTs, aggregations,
  analytic and multiplier-bootstrap inference (as R ``did``);
- :func:`bacon` -- Goodman-Bacon (2021) decomposition of the TWFE estimate;
- :func:`honest` -- Rambachan & Roth (2023) sensitivity to violations of parallel
  trends (relative magnitudes, smoothness), as R ``HonestDiD``.

See ``docs/did.md``.
"""

from __future__ import annotations

from evalkit.methods.did.bacon import BaconResult, bacon
from evalkit.methods.did.honest import HonestResult, honest
from evalkit.methods.did.simulate import simulate_staggered, true_att
from evalkit.methods.did.staggered import AggregateResult, StaggeredResult, staggered
from evalkit.methods.did.twfe import EventStudyResult, TWFEResult, event_study, twfe
from evalkit.methods.did.twobytwo import TwoByTwoResult, two_by_two

__all__ = [
    "two_by_two",
    "twfe",
    "event_study",
    "staggered",
    "bacon",
    "honest",
    "simulate_staggered",
    "true_att",
    "TwoByTwoResult",
    "TWFEResult",
    "EventStudyResult",
    "StaggeredResult",
    "BaconResult",
    "AggregateResult",
    "HonestResult",
]
