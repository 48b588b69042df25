# expect: only one "resources" block is allowed
job "example" {
  group "g" {
    task "t" {
      driver = "exec"
      resources { cpu = 100 }
      resources { memory = 100 }
    }
  }
}
