# expect: interval: invalid duration "5 minutes"
# line: 8
job "example" {
  group "cache" {
    restart {
      attempts = 10
      delay    = "25s"
      interval = "5 minutes"
    }
    task "redis" { driver = "exec" }
  }
}
