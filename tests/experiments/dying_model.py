"""A model that kills its own worker process, for the dead-worker test (imported by name from a spec)."""

from __future__ import annotations

import os

from model import OpinionEcology


class DyingModel(OpinionEcology):
    """OpinionEcology whose process exits at step 3 of every interactive run with trust_shift > 0."""

    def step(self) -> None:
        if self.steps == 3 and self.params.trust_shift > 0 and self.strategy.reply_share > 0:
            os._exit(7)
        super().step()


class AlwaysDyingModel(OpinionEcology):
    """OpinionEcology whose process exits at its first step, in every run."""

    def step(self) -> None:
        os._exit(9)
