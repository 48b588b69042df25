# expect: must not be greater than maximum count in scaling policy
job "example" {
  group "cache" {
    count = 4
    scaling {
      min = 1
      max = 3
    }
    task "redis" {
      driver = "docker"
      config {
        image = "redis:3.2"
      }
    }
  }
}
