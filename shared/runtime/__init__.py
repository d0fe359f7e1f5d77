"""Running one service: composition of settings, database, NATS, relay, consumers and health."""
