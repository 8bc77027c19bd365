"""`onsale bench`: the benchmark suite, measured with an external load generator (wrk)."""
