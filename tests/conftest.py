"""Suite-wide pytest plugins: fixtures that several test folders share.

This folder has no __init__.py, so pytest puts it on sys.path and the plugins import by bare name."""

pytest_plugins = ["kube_fixtures", "modern_pebble_fixtures", "dns_standin_fixtures"]
