"""Reads Drover's Consul-compatible catalog with python-consul2, as a
Consul user would. Expects `redis.nomad` (two instances of
`global-redis-check`, tags global and cache) running on a dev agent
started with `-consul-compat HOST:PORT`. Usage: check.py HOST PORT"""

import sys
import time

import consul

c = consul.Consul(host=sys.argv[1], port=int(sys.argv[2]))
idx, services = c.catalog.services()
assert services["global-redis-check"] == ["cache", "global"], services
assert services["nomad"] == ["http", "rpc", "serf"], services
assert services["nomad-client"] == ["http"], services
_, inst = c.catalog.service("global-redis-check")
assert len(inst) == 2, inst
assert all(i["ServicePort"] > 0 and i["Node"] for i in inst), inst
_, healthy = c.health.service("global-redis-check", passing=True)
assert len(healthy) == 2, healthy
assert c.catalog.datacenters() == ["dc1"]
_, nodes = c.catalog.nodes()
assert len(nodes) == 1, nodes
# Nothing changes: a blocking read answers when its wait ends.
start = time.monotonic()
idx2, _ = c.catalog.services(index=idx, wait="1s")
assert time.monotonic() - start >= 0.9 and idx2 == idx
print("consul catalog OK:", [(i["Node"], i["ServicePort"]) for i in inst])
