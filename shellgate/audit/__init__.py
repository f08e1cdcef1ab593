"""audit: the hash-chained trail of every decision that needed approval (``trail``), and its
offline verification (``verify``)."""
