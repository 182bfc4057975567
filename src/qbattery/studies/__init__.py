"""Studies: what the paper and its extensions compute from many runs.

* :mod:`~qbattery.studies.reproduce`: the paper's Figs. 1-3, the data behind them and a
  check table (``qbattery reproduce``);
* :mod:`~qbattery.studies.design`: the most powerful protocol meeting reliability
  targets (``qb.design``);
* :mod:`~qbattery.studies.scaling`: NSRs and peak power against N with fitted exponents
  (``qb.scaling``);
* :mod:`~qbattery.studies.gallery`: the literature models' power and its reliability
  against N (``qbattery gallery``).

Studies sit above the physics, the sweep and plotting, and below the command line: they
never import :mod:`qbattery.cli`.
"""
