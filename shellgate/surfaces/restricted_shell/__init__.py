"""``shellgate-sh``: the restricted shell (``main``), and its interactive mode over a real bash."""
