"""rules: pattern files loaded strictly (``loader``), their typed form (``ruleset``), the
compiled cache, and the examples self-test."""
