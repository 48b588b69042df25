# expect: Missing job task groups
# line: 3
job "empty" {
  datacenters = ["dc1"]
}
