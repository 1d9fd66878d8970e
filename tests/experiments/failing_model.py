"""A model that fails on purpose, for the failure-handling test (imported by name from a spec)."""

from __future__ import annotations

from model import OpinionEcology


class FailingModel(OpinionEcology):
    """OpinionEcology that raises at step 5 of every interactive run with trust_shift > 0."""

    def step(self) -> None:
        if self.steps == 5 and self.params.trust_shift > 0 and self.strategy.reply_share > 0:
            raise RuntimeError("deliberate failure at step 5")
        super().step()


class AlwaysFailingModel(OpinionEcology):
    """OpinionEcology that raises at its first step: an experiment with no successful run."""

    def step(self) -> None:
        raise RuntimeError("deliberate failure at the first step")
