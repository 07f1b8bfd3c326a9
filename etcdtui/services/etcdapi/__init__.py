"""Our subset of etcd's v3 gRPC API (generated code) and the connection layer."""
