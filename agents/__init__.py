"""Agents of Opinion Ecology: users, media outlets and the generation profiles."""

from agents.generations import FORMATS, GENERATIONS, PROFILES
from agents.outlet import MediaOutlet
from agents.user import User

__all__ = ["FORMATS", "GENERATIONS", "PROFILES", "MediaOutlet", "User"]
