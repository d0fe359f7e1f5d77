"""The notifications domain, no I/O: a person's contact book entry (contact.py), one message's life from
queued to sent or bounced (notification.py), and the texts (templates.py)."""
