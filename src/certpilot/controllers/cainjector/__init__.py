"""The CA injector (cert-manager's cainjector): keeps `caBundle` of webhook configurations, CRD
conversion webhooks and APIServices in step with the CA their annotations name."""
