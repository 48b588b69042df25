# expect: Only one task may be marked as leader
job "example" {
  group "cache" {
    task "a" {
      driver = "exec"
      leader = true
    }
    task "b" {
      driver = "exec"
      leader = true
    }
  }
}
