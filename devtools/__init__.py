"""Developer tooling: the dev stack, demo, simulate and bench (installed by the dev extra).

Nothing under app/, workers/ or waiting_room/ imports this package; the
`onsale` command finds these commands through the "onsale.commands" entry
point group, and `onsale api` mounts the bench routes through
"onsale.bench_routes" when ONSALE_BENCH_ENDPOINTS is on.
"""
