"""Interpreter code (python, node, perl, ruby…): the shell commands and HTTP requests it makes,
where statically visible."""
