"""Stand-ins for DNS vendors' HTTP APIs (tests only): each implements just what certpilot's provider uses,
checks credentials the way the vendor does, and writes its records through to a real BIND zone."""
