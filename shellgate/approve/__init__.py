"""approve: a FIDO2 user-presence assertion over the hash of the exact command.

``request`` builds the canonical request and its hash H; ``keystore`` holds enrolled
credentials; ``fido`` talks to keys (hardware through python-fido2, or the software key
in ``soft``); ``verify`` checks an assertion before anything runs.
"""
