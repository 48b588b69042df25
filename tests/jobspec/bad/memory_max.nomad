# expect: MemoryMaxMB value (100) should be larger than MemoryMB value (256)
# line: 9
job "example" {
  group "cache" {
    task "redis" {
      driver = "exec"
      resources {
        memory     = 256
        memory_max = 100
      }
    }
  }
}
