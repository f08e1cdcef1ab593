"""The credential vault: secrets sealed to the enrolled keys' hmac-secret, given only to
the one approved command that may use them (see README, "Credentials sealed to the key")."""
