# expect: interval must be greater than 0
job "example" {
  group "cache" {
    task "redis" {
      driver = "exec"
      service {
        name = "redis"
        check {
          type    = "tcp"
          timeout = "2s"
        }
      }
    }
  }
}
