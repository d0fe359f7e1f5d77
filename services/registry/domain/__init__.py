"""The registry's aggregates: organizations, experts, training programmes and cohorts, the theme vocabulary,
orderers' credentials and the access records. No I/O here."""

from services.registry.domain.access import AccessRecord
from services.registry.domain.agreements import Agreement, Period
from services.registry.domain.experts import Expert
from services.registry.domain.holdings import Availability, Consent, Profile, themes_of
from services.registry.domain.organizations import ContactPersonRecord, OrdererCredentials, Organization
from services.registry.domain.trainings import Cohort, TrainingProgramme
from services.registry.domain.vocabulary import COUNTY, Theme, ThemeVocabulary

__all__ = ["COUNTY", "AccessRecord", "Agreement", "Availability", "Cohort", "Consent", "ContactPersonRecord", "Expert",
           "OrdererCredentials", "Organization", "Period", "Profile", "Theme", "ThemeVocabulary", "TrainingProgramme",
           "themes_of"]
