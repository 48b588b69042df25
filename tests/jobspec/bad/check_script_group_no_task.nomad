# expect: a script check of a group service must name its task
job "example" {
  group "cache" {
    service {
      name = "redis"
      check {
        type     = "script"
        command  = "/bin/true"
        interval = "10s"
        timeout  = "2s"
      }
    }
    task "redis" {
      driver = "docker"
      config {
        image = "redis:3.2"
      }
    }
  }
}
