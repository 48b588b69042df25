# expect: address_mode "alloc" is not supported
job "example" {
  group "cache" {
    network {
      port "db" {}
    }
    service {
      name         = "redis"
      port         = "db"
      address_mode = "alloc"
    }
    task "redis" {
      driver = "docker"
      config {
        image = "redis:3.2"
      }
    }
  }
}
