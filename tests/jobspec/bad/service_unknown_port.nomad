# expect: port label "nope" is not a port of the task's or group's network
# line: 18
job "x" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "docker"
      config {
        image = "redis:3.2"
      }
      resources {
        network {
          port "db" {}
        }
      }
      service {
        name = "s"
        port = "nope"
      }
    }
  }
}
