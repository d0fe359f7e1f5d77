"""The audit service's composition root."""

from shared.runtime.service import ServiceDefinition, Wiring


def wire(w: Wiring) -> None:
    pass


def definition() -> ServiceDefinition:
    return ServiceDefinition(name="audit", wire=wire)
