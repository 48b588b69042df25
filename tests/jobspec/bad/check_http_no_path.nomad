# expect: http checks need a path
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
        port = "db"
        check {
          type     = "http"
          interval = "10s"
          timeout  = "2s"
        }
      }
    }
  }
}
