"""One step (one hour) as a pipeline of phases, one module each (docs/ODD.md 3, 7).

publish -> deliver -> attend -> react -> update -> respond -> measure. The phases hand each
other the typed records of :mod:`model.step.records`; what waits between steps is the model's
``outbox``.
"""

from model.step.attend import attend
from model.step.deliver import deliver
from model.step.measure import measure
from model.step.publish import publish, sessions
from model.step.react import react
from model.step.records import Outbox, Reactions, Sessions, Views
from model.step.respond import respond
from model.step.update import update

__all__ = [
    "Outbox",
    "Reactions",
    "Sessions",
    "Views",
    "attend",
    "deliver",
    "measure",
    "publish",
    "react",
    "respond",
    "sessions",
    "update",
]
