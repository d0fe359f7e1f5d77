"""What the registry's pages share: the names of access purposes and training kinds in the templates, and a
theme's name in the page's language."""

from __future__ import annotations

from typing import Any

from services.web.i18n import N_
from services.web.rendering import environment

ACCESS_PURPOSES = {"finding_an_expert": N_("Finding an expert for an assignment"),
                   "organization_register": N_("The organization's register"),
                   "profile_review": N_("Reviewing the profile"), "coordination": N_("Coordination and follow-up")}
TRAINING_KINDS = {"basic": N_("Basic training"), "further": N_("Further training")}
REVIEW_STATES = {"none": N_("Not written yet"), "draft": N_("Changed, not sent to review"),
                 "submitted": N_("Waiting for review"), "returned": N_("Returned to you"),
                 "approved": N_("Approved: the bank shows this")}


def theme_names(themes: list[dict[str, Any]], language: str) -> dict[str, str]:
    """Each theme's name in the language (its id if it has none)."""
    return {theme["theme_id"]: str(theme.get(f"name_{language}") or theme["theme_id"]) for theme in themes}


environment.globals.update(ACCESS_PURPOSES=ACCESS_PURPOSES, TRAINING_KINDS=TRAINING_KINDS,
                           REVIEW_STATES=REVIEW_STATES)
