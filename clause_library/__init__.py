"""The clause library: requirement rules as data (rules/*.yaml, profiles.yaml) and the engine that
judges a Document against them."""
from .library import UnknownProfile, library, list_profiles, rules_version
from .engine import review

__all__ = ["UnknownProfile", "library", "list_profiles", "review", "rules_version"]
