"""The web interface: server-rendered pages through which people sign in and do their work, every action a
command or query of the services over NATS, sent with the person's own signed identity. It owns no data."""
