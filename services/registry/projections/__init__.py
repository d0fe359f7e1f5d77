"""The registry's views in PostgreSQL (schema.sql), kept from its own events inside the recording
transaction (:mod:`.recording`) and read by its handlers (:mod:`.queries`); they implement
:class:`services.registry.views.RegistryViews`."""

from services.registry.projections.queries import RegistryTables
from services.registry.projections.recording import SQL

__all__ = ["SQL", "RegistryTables"]
