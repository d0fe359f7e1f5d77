"""Subject and stream names. One place, so the code, the AsyncAPI document and the NATS permissions agree.

    kokemus.<service>.events.<EventType>   events, in the JetStream stream KOKEMUS_<SERVICE>
    kokemus.<service>.cmd.<name>           commands (request-reply, queue group <service>)
    kokemus.<service>.query.<name>         queries (request-reply, queue group <service>)
"""

PREFIX = "kokemus"


def stream_name(service: str) -> str:
    return f"KOKEMUS_{service.upper()}"


def events_wildcard(service: str) -> str:
    return f"{PREFIX}.{service}.events.>"


def event_subject(service: str, event_type: str) -> str:
    return f"{PREFIX}.{service}.events.{event_type}"


def command_subject(service: str, name: str) -> str:
    return f"{PREFIX}.{service}.cmd.{name}"


def query_subject(service: str, name: str) -> str:
    return f"{PREFIX}.{service}.query.{name}"


def durable_name(consumer: str, source: str) -> str:
    return f"{consumer}-from-{source}"
