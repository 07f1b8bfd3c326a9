"""TLS and certificates: issuing (``pki``), a PKI directory on disk (``pki_dir``),
the certificate report of a cluster (``report``) and the security posture scan
(``posture``)."""
