"""HTTP-01 on a Kubernetes cluster, as cert-manager's pkg/issuer/acme/http: a solver Pod running
`certpilot acmesolver`, a Service in front of it, and an Ingress or a Gateway API HTTPRoute that
sends the CA's request for the token to that Service."""
