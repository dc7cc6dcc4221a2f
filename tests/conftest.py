"""Suite-wide pytest plugins: fixtures that several test folders share.

tests/ is a package (pytest puts the repository root on sys.path), so helpers import as tests.<path>."""

pytest_plugins = ["tests.kube_fixtures", "tests.modern_pebble_fixtures", "tests.dns_standin_fixtures"]
