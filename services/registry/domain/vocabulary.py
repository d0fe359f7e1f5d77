"""The county's controlled vocabulary of experience themes, kept by the coordinator. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass

from services.registry.events import ThemeDefined, ThemeRetired
from shared.aggregate import Aggregate
from shared.errors import Conflict, invalid

COUNTY = "county"  # one vocabulary, the county's


@dataclass(frozen=True)
class Theme:
    theme_id: str
    name_fi: str
    name_sv: str
    name_en: str
    retired: bool = False


class ThemeVocabulary(Aggregate):
    stream_prefix = "vocabulary"

    def __init__(self, aggregate_id: str = COUNTY) -> None:
        super().__init__(aggregate_id)
        self.themes: dict[str, Theme] = {}

    @property
    def in_use(self) -> set[str]:
        return {theme_id for theme_id, theme in self.themes.items() if not theme.retired}

    def define(self, theme_id: str, name_fi: str, name_sv: str, name_en: str) -> None:
        """A new theme, or new names for one (a retired theme defined again is in use again)."""
        held = self.themes.get(theme_id)
        if held is not None and not held.retired and (held.name_fi, held.name_sv, held.name_en) == (
                name_fi, name_sv, name_en):
            raise Conflict(f"theme {theme_id} is already defined with these names")
        self.record(ThemeDefined(theme_id=theme_id, name_fi=name_fi, name_sv=name_sv, name_en=name_en))

    def retire(self, theme_id: str) -> None:
        if theme_id not in self.in_use:
            raise invalid("theme_id", "is not a theme in use", ", ".join(sorted(self.in_use)) or None)
        self.record(ThemeRetired(theme_id=theme_id))

    def when_ThemeDefined(self, event: ThemeDefined) -> None:
        self.themes[event.theme_id] = Theme(event.theme_id, event.name_fi, event.name_sv, event.name_en)

    def when_ThemeRetired(self, event: ThemeRetired) -> None:
        held = self.themes[event.theme_id]
        self.themes[event.theme_id] = Theme(held.theme_id, held.name_fi, held.name_sv, held.name_en, retired=True)
