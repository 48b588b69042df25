# expect: Missing required docker config "image"
# line: 7
job "example" {
  group "cache" {
    task "redis" {
      driver = "docker"
      config {
        port_map { db = 6379 }
      }
    }
  }
}
