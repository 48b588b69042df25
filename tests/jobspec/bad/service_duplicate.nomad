# expect: Service "s" is defined twice in task "t"
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
      }
      service {
        name = "s"
        port = "db"
      }
    }
  }
}
