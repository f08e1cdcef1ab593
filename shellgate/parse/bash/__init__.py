"""Bash itself: tree-sitter-bash's tree walked into simple commands with resolved words,
redirects and here-docs."""
