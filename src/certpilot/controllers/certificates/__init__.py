"""The Certificate controllers, split as cert-manager splits them: trigger, keymanager,
requestmanager, issuing, readiness and revisionmanager."""
