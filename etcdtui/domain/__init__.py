"""Pure rules, no I/O: no grpc, no files, no processes, no textual.

Quorum arithmetic and the what-if of a membership change, the health and leader rules,
membership flags, formatting and retry schedules. Every layer above may import these;
this package imports nothing above it (the import-linter ``layers`` contract).
"""
