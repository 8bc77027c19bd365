"""The waiting room's HTTP side and its Postgres record (the sealed pre-queue)."""
