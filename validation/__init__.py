"""The engine against theory and published results: the canonical checks behind docs/validation.md.

    python -m validation            # or: make validate
    python -m validation --jobs 1   # serial

Every check runs a canonical preset of :mod:`model.presets` on the one engine and compares it
with the known result:

1. Deffuant-Weisbuch bounded confidence (Deffuant et al. 2000; Weisbuch et al. 2002): major
   clusters against epsilon, beside the floor(1 / (2 epsilon)) staircase; mean conserved.
2. Independent cascade on an Erdos-Renyi follow layer (Kempe et al. 2003): outbreak size
   against p, beside the bond-percolation curve S = 1 - exp(-c p S) (Newman 2002).
3. Limited attention (Weng et al. 2012): the popularity CCDF on log-log axes, with the discrete
   power-law fit of Clauset, Shalizi & Newman (2009).
4. Broadcast against forwarding: structural virality (Goel et al. 2016).
5. Structural virality of stars and chains, exactly, and of every tree of a real run against a
   brute-force all-pairs computation.

Modules, in the order the data flows: :mod:`validation.design` (seeds, replicates, grids),
:mod:`validation.theory` (the closed forms), :mod:`validation.runs` (one task per run, on the
experiments' executors), :mod:`validation.figures`, :mod:`validation.report` (verdicts and the
page, from ``template.md``), ``__main__`` (the command line). Importing the package imports
none of them.
"""
