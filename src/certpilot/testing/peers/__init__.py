"""Real peer servers (pebble, pebble-challtestsrv, BIND...) started by the test suite on loopback,
configured in a scratch directory, always stopped by PID."""
