"""ACME controllers: Orders and Challenges (scheduling, solving), as cert-manager splits them."""
