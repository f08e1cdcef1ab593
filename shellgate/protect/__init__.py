"""Self-protection by real path: ``writes`` finds the files a command may write (pure),
``places`` resolves them against the places no command may write without a touch."""
