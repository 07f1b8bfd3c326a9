"""The service layer: talks to etcd, files and processes. Never imports textual."""
