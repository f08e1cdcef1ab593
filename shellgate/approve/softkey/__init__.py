"""A software FIDO2/U2F authenticator python-fido2's real ``Ctap2``/``Ctap1`` can drive (tests
and demos only)."""
