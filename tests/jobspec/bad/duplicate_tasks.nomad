# expect: Task 2 redefines 'redis' from an earlier task
# line: 8
job "example" {
  group "cache" {
    task "redis" {
      driver = "exec"
    }
    task "redis" {
      driver = "exec"
    }
  }
}
