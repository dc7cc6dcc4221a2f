"""`python -m certpilot.cli` is `certpilot`."""

from certpilot.cli.main import main

main()
