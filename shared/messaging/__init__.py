"""Everything that touches NATS: subjects, streams, the outbox relay, consumers, request-reply."""
