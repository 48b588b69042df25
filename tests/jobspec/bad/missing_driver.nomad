# expect: Missing task driver
# line: 5
job "example" {
  group "cache" {
    task "redis" {
      config { image = "redis:3.2" }
    }
  }
}
