job "redis" {
  datacenters = ["dc1"]
  group "cache" {
    count = 2
    network {
      port "db" {}
    }
    service {
      name     = "global-redis-check"
      provider = "nomad"
      port     = "db"
      tags     = ["global", "cache"]
    }
    task "redis" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["300"]
      }
    }
  }
}
