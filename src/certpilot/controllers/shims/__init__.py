"""ingress-shim and gateway-shim (Kubernetes only): Certificates from annotated Ingresses, Gateways
and ListenerSets, one per TLS Secret, owned by the object they come from."""
