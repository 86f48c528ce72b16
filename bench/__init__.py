"""Tessera's SCIM performance bench: an IdP-shaped workload against Tessera and a peer.

Run it with ``make bench`` or ``.venv/bin/python -m bench --help``.
"""
