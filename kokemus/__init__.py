"""The ``kokemus`` command line and the embedded stack: tools built on the kernel and the services."""
