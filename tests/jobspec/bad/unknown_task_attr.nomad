# expect: group "cache" -> task "redis": unsupported argument "drivers"
# line: 6
job "example" {
  group "cache" {
    task "redis" {
      drivers = "docker"
    }
  }
}
